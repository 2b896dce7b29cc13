"""'No, this is not me' at the kiosk reaches staff, and a patient not arrived past the check-in
window is flagged (issue 11, item 11), on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt

from sqlmodel import select

from booking_web.services import staff_queue
from shared.models import KioskReport
from tests.conftest import NOW
from tests.factories import make_clinic, make_site, make_staff
from tests.integration.test_checkin import DAY, DOB, at, book, checkin, kiosk_key
from tests.integration.test_staff import sign_in


def not_me(client, headers, reference, dob=DOB):  # type: ignore[no-untyped-def]
    return client.post("/api/v1/kiosk/not-me", headers=headers,
                       json={"reference": reference, "date_of_birth": dob})


def test_not_me_is_recorded_for_this_sites_booking_only(client, app, session, settings):
    site, other = make_site(session, name="Leeds General"), make_site(session, name="Otley")
    appt = book(session, settings, make_clinic(session, site=site, day=DAY, start=dt.time(9)))
    here, there = kiosk_key(session, site), kiosk_key(session, other)
    at(app, 8, 55)
    for headers, dob, status in ((here, "1970-05-18", 404), (there, DOB, 404),
                                 (here, "not a date", 422)):
        resp = not_me(client, headers, appt.reference, dob)
        assert resp.status_code == status, resp.json
    assert session.exec(select(KioskReport)).all() == []
    resp = not_me(client, here, appt.reference.lower())
    assert resp.status_code == 200 and resp.json == {"recorded": True}
    [report] = session.exec(select(KioskReport)).all()
    assert (report.appointment_id, report.kind) == (appt.id, "not_me")
    assert report.at == NOW + dt.timedelta(minutes=55)


def test_the_today_page_flags_not_me_and_not_arrived_past_the_window(
    client, app, session, settings
):
    site = make_site(session, name="Leeds General")
    clinic = make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(10))
    kiosk = kiosk_key(session, site)
    early, said, here = (book(session, settings, clinic, slot=i, n=i) for i in range(3))
    at(app, 8, 50)
    assert checkin(client, kiosk, here.reference).status_code == 200
    assert not_me(client, kiosk, said.reference).status_code == 200

    rows = {r.reference: r for r in staff_queue.day_list(
        session=session, site_id=site.id, day=DAY, now=NOW + dt.timedelta(hours=1, minutes=15),
        late_after=dt.timedelta(minutes=15))}
    assert rows[early.reference].minutes_late == 15  # 09:00, and it is 09:15
    assert rows[said.reference].minutes_late is None  # 09:10: 5 minutes, still inside
    assert rows[said.reference].said_not_me_at == NOW + dt.timedelta(minutes=50)
    assert rows[here.reference].minutes_late is None  # checked in
    assert rows[early.reference].said_not_me_at is None

    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    sign_in(client, "pat")
    at(app, 9, 14)
    page = client.get("/staff/today").text
    assert "past their time" not in page
    assert 'Said "not me" at the kiosk at 08:50: check who they are' in page
    at(app, 9, 20)
    page = client.get("/staff/today").text
    assert "Not arrived, 20 minutes past their time" in page
    assert "List as at <span data-refresh-time>09:20:00</span>." in page
    assert '<a href="/staff/today" data-refresh-status>Refresh the list</a>' in page


def test_not_me_sent_again_with_its_key_is_recorded_once(client, app, session, settings):
    """A lost answer: the kiosk sends its report again under the same Idempotency-Key and gets
    the first answer; staff see one report. The key for another booking is refused."""
    site = make_site(session, name="Leeds General")
    clinic = make_clinic(session, site=site, day=DAY, start=dt.time(9))
    appt, other = book(session, settings, clinic), book(session, settings, clinic, slot=1, n=1)
    kiosk = {**kiosk_key(session, site), "Idempotency-Key": "0d1f7b0c-5a3e-4b8e-9d1c-2f7a6e4b9c10"}
    at(app, 8, 55)
    first = not_me(client, kiosk, appt.reference)
    again = not_me(client, kiosk, appt.reference)
    assert first.status_code == again.status_code == 200
    assert again.json == first.json == {"recorded": True}
    assert again.headers.get("Idempotent-Replayed") == "true"
    reused = not_me(client, kiosk, other.reference)
    assert reused.status_code == 422 and reused.json["error"] == "idempotency_key_reused"
    session.expire_all()
    assert [r.appointment_id for r in session.exec(select(KioskReport))] == [appt.id]
