"""The reports' settled counts: every figure of every past day counted once (by the scheduler,
from the raw rows, with the same SQL the report runs live for recent days), so a report over a
year of 50 sites reads a few thousand counts instead of a million rows."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index
from sqlmodel import Field, SQLModel


class ReportCount(SQLModel, table=True):
    """One count of one figure: for a London day (grain 'd', period = days since 1970-01-01) or a
    calendar month (grain 'm', period = year * 12 + month - 1, the sum of its days), at one site
    or at every site (site_id 0). Keys k1..k4 say what is counted (a status, a channel, a
    weekday, an hour, minutes waited...); unused keys are '' or 0."""

    __tablename__ = "report_count"
    __table_args__ = (
        Index("ix_report_count_site_grain_period", "site_id", "grain", "period"),
        # A few figures across many sites (each site's totals, the daily outcomes).
        Index("ix_report_count_figure", "figure", "grain", "period", "site_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    grain: str = Field(max_length=1)
    period: int
    site_id: int  # 0: every site (not a foreign key: no site has id 0)
    figure: str = Field(max_length=16)
    k1: str = Field(default="", max_length=20)
    k2: str = Field(default="", max_length=20)
    k3: int = 0
    k4: int = 0
    n: int


class ReportState(SQLModel, table=True):
    """How far the counts are settled: every day up to `settled_until` (inclusive) is counted;
    later days are counted live. One row (id 1)."""

    __tablename__ = "report_state"

    id: int | None = Field(default=None, primary_key=True)
    settled_until: dt.date | None = None
    resettled_on: dt.date | None = None  # the last London day the recent days were counted again
    updated_at: dt.datetime | None = None
