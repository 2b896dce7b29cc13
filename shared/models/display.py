"""The waiting-room call screen's per-site setting: whether each call is also spoken aloud."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Field, SQLModel


class SiteDisplay(SQLModel, table=True):
    """A site's call-screen setting, set by an admin (who and when kept)."""

    __tablename__ = "site_display"

    site_id: int = Field(foreign_key="site.id", primary_key=True)
    speak_calls: bool = False  # "Number 12, Chair 3" through the screen's speech synthesis
    updated_by: str = Field(default="", max_length=100)
    updated_at: dt.datetime | None = None
