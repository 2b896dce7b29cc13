"""GET /api/v1/slots answers the document the README promises ({"slots": [{"id", "site_id",
"start", "end", "remaining"}]}), checked against a reference built here from the database's own
rows, on SQLite and PostgreSQL: across the autumn clock change, after chairs are taken, and after
a slot's times change (the view keeps each slot's text per process: it must never go stale)."""

from __future__ import annotations

import datetime as dt
import json
from zoneinfo import ZoneInfo

from sqlmodel import col, select

from shared.models import Slot

from tests.factories import make_clinic, make_partner_key, slots_of

CLOCKS_GO_BACK = dt.date(2026, 10, 25)  # 02:00 BST becomes 01:00 GMT: 01:00-01:59 happens twice
LONDON = ZoneInfo("Europe/London")


def _reference(session, site_id: int, day: dt.date) -> dict[str, list[dict[str, object]]]:
    """The free slots of a site's London day, from the rows (not the app's code)."""
    session.expire_all()
    rows = session.exec(select(Slot).where(Slot.site_id == site_id).order_by(col(Slot.starts_at), col(Slot.id)))
    listed = []
    for slot in rows:
        start, end = slot.starts_at.astimezone(LONDON), slot.ends_at.astimezone(LONDON)
        if slot.booked < slot.capacity and start.date() == day:
            listed.append({"id": slot.id, "site_id": slot.site_id, "start": start.isoformat(),
                           "end": end.isoformat(), "remaining": slot.capacity - slot.booked})
    return {"slots": listed}


def _listed(client, auth, site_id: int, day: dt.date) -> dict[str, object]:
    resp = client.get(f"/api/v1/slots?site_id={site_id}&date={day}&appointment_type=adult", headers=auth)
    assert resp.status_code == 200 and resp.mimetype == "application/json", resp.data
    document = json.loads(resp.data)
    for slot in document["slots"]:
        assert set(slot) == {"id", "site_id", "start", "end", "remaining"}
        assert all(type(slot[k]) is int for k in ("id", "site_id", "remaining"))
        assert all(type(slot[k]) is str for k in ("start", "end"))
    return document


def test_slots_document_matches_the_rows_across_the_clock_change(client, session, app):
    app.extensions["phlebo"].clock = lambda: dt.datetime(2026, 10, 20, 9, tzinfo=dt.UTC)
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    clinic = make_clinic(session, day=CLOCKS_GO_BACK, start=dt.time(0, 0), end=dt.time(3, 0), slot_minutes=20,
                         chairs=3)
    site = clinic.site_id

    first = _listed(client, auth, site, CLOCKS_GO_BACK)
    assert first == _reference(session, site, CLOCKS_GO_BACK)
    starts = [s["start"] for s in first["slots"]]  # type: ignore[index]
    assert {s[-6:] for s in starts} == {"+01:00", "+00:00"}  # both sides of the change
    assert "2026-10-25T00:00:00+01:00" in starts and "2026-10-25T02:40:00+00:00" in starts

    # Chairs taken (one slot full, so not listed) and one slot moved: the next answer says so.
    slots = slots_of(session, clinic)
    slots[0].booked = slots[0].capacity
    slots[1].booked = 2
    moved = slots[2]
    moved.starts_at += dt.timedelta(minutes=5)
    moved.ends_at += dt.timedelta(minutes=5)
    session.commit()
    second = _listed(client, auth, site, CLOCKS_GO_BACK)
    assert second == _reference(session, site, CLOCKS_GO_BACK)
    assert second != first
    assert slots[0].id not in {s["id"] for s in second["slots"]}  # type: ignore[index]
    assert {s["id"]: s["remaining"] for s in second["slots"]}[slots[1].id] == 1  # type: ignore[index]


def test_slots_document_is_the_same_for_a_summer_day_and_an_empty_one(client, session, app):
    app.extensions["phlebo"].clock = lambda: dt.datetime(2027, 5, 31, 8, tzinfo=dt.UTC)
    auth = {"Authorization": f"Bearer {make_partner_key(session)}"}
    day = dt.date(2027, 6, 2)
    clinic = make_clinic(session, day=day, start=dt.time(9), end=dt.time(10), chairs=2)
    summer = _listed(client, auth, clinic.site_id, day)
    assert summer == _reference(session, clinic.site_id, day) and len(summer["slots"]) == 6  # type: ignore[arg-type]
    assert summer["slots"][0]["start"] == "2027-06-02T09:00:00+01:00"  # type: ignore[index]
    assert _listed(client, auth, clinic.site_id, day + dt.timedelta(days=1)) == {"slots": []}
