"""Walk-ins: which sites take patients with a test request but no booking, how many, and the
count taken so far in each hour or clinic session (the cap is enforced by the database)."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import CheckConstraint, UniqueConstraint
from sqlmodel import Field, SQLModel


class WalkInPer(StrEnum):
    """What a site's walk-in cap counts over."""

    HOUR = "hour"  # a London clock hour (10:00-10:59)
    SESSION = "session"  # one clinic session


class SiteWalkIns(SQLModel, table=True):
    """A site that takes walk-ins (no row: it takes none), at most `cap` per hour or session."""

    __tablename__ = "site_walk_ins"
    __table_args__ = (
        CheckConstraint("cap > 0", name="ck_site_walk_ins_cap"),
        CheckConstraint("per IN ('hour', 'session')", name="ck_site_walk_ins_per"),
    )

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    cap: int
    per: str = Field(default=WalkInPer.HOUR, max_length=10)


class WalkInCount(SQLModel, table=True):
    """Walk-ins taken at a site in one period ('2026-11-23T10' for an hour, 's42' for clinic
    session 42). Changed only by one conditional upsert, so the cap cannot be raced past; the
    CHECK is the last word should anything else write here."""

    __tablename__ = "walk_in_count"
    __table_args__ = (
        UniqueConstraint("site_id", "period", name="uq_walk_in_count_period"),
        CheckConstraint("taken > 0 AND taken <= cap", name="ck_walk_in_count_cap"),
    )

    id: int | None = Field(default=None, primary_key=True)
    site_id: int = Field(foreign_key="site.id")
    period: str = Field(max_length=20)
    taken: int
    cap: int  # the site's cap when this count last grew
