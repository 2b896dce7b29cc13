"""The waiting-room call screen: display keys bound to one site, the site's recent calls as the
screen shows them (queue number and chair, never who), and the site's setting to speak them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.accounts import LiveKey, key_for_token
from booking_web.services.site_admin import get_site
from booking_web.services.staff_audit import Actor, changes, record
from shared.errors import NotAllowed
from shared.models import Appointment, Chair, KeyKind, QueueCall, Site, SiteDisplay
from shared.timeutil import local_day_bounds

SHOWN_CALLS = 6  # the current call and the five before it


@dataclass(frozen=True)
class Call:
    """One call as the screen shows it: the number on the patient's ticket and where to go."""

    number: int
    chair: str  # "" when the site calls without chairs (labels print at check-in)
    called_at: dt.datetime

    @property
    def spoken(self) -> str:
        """What the screen says aloud: 'Number 12, Chair 3'."""
        return f"Number {self.number}, {self.chair}" if self.chair else f"Number {self.number}"


@dataclass(frozen=True)
class CallBoard:
    """What a site's screen shows: the newest call first, and a token that changes with them."""

    site: Site
    calls: list[Call]
    speak: bool

    @property
    def version(self) -> str:
        """Changes whenever a call is added (the screen chimes) or the speech setting changes."""
        newest = self.calls[0] if self.calls else None
        return f"{newest.number}-{newest.called_at.timestamp():.6f}-{int(self.speak)}" if newest else \
            f"none-{int(self.speak)}"


def display_key(*, session: Session, token: str, site_id: int) -> LiveKey:
    """The live display key for this token at this site, or NotAllowed (a partner or kiosk key,
    another site's screen, a revoked or unknown key are all refused alike)."""
    key = key_for_token(session=session, token=token)
    if key.kind != KeyKind.DISPLAY or key.site_id != site_id:
        raise NotAllowed("display_key_needed", code="unauthorised")
    return key


def site_display(*, session: Session, site_id: int) -> SiteDisplay:
    """A site's call-screen setting (the default, unsaved, for a site never set up)."""
    return session.get(SiteDisplay, site_id) or SiteDisplay(site_id=site_id)


def call_board(*, session: Session, site_id: int, day: dt.date) -> CallBoard:
    """The site's calls today, newest first, at most SHOWN_CALLS: two small reads (one indexed
    on the appointment's time), so a screen may ask every second."""
    site = get_site(session=session, site_id=site_id)
    start, end = local_day_bounds(day)
    rows = session.exec(
        select(Appointment.queue_number, Chair.name, QueueCall.called_at)
        .join(Appointment, col(Appointment.id) == QueueCall.appointment_id)
        .outerjoin(Chair, col(Chair.id) == QueueCall.chair_id)
        .where(Appointment.site_id == site_id, col(Appointment.starts_at) >= start,
               col(Appointment.starts_at) < end)
        .order_by(col(QueueCall.called_at).desc(), col(QueueCall.appointment_id).desc())
        .limit(SHOWN_CALLS)
    ).all()
    calls = [Call(number or 0, chair or "", called_at) for number, chair, called_at in rows]
    return CallBoard(site=site, calls=calls, speak=site_display(session=session, site_id=site_id).speak_calls)


def save_site_display(*, session: Session, site_id: int, speak_calls: bool, actor: Actor,
                      now: dt.datetime) -> SiteDisplay:
    """Switch speaking each call aloud on the site's screens on or off; audited. Commits."""
    site = get_site(session=session, site_id=site_id)
    setting = session.get(SiteDisplay, site_id) or SiteDisplay(site_id=site_id)
    was = setting.speak_calls
    setting.speak_calls, setting.updated_by, setting.updated_at = speak_calls, actor.display_name, now
    session.add(setting)
    record(session, actor=actor, action="call screen settings", now=now,
           detail=f"{site.name}: {changes({'calls said aloud': was}, {'calls said aloud': speak_calls})}")
    session.commit()
    return setting
