"""The waiting-room call screen over the Flask test client, on SQLite and PostgreSQL: display
keys bound to one site (opened once with ?key=, then kept in a cookie for that screen only), the
calls shown newest first with their chairs and never who was called, the events stream, the
fetch fallback, and the site's spoken-calls setting."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlmodel import Session, select

import booking_web.display as display_views
from booking_web.services import chairs, staff_queue
from booking_web.services.accounts import create_api_key
from booking_web.services.staff_audit import Actor
from shared.models import ApiKey, Appointment, KeyKind, Patient
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_partner_key, make_site, make_staff
from tests.integration.test_checkin import DAY, at, book
from tests.integration.test_staff import post, sign_in

PHLEB = Actor(None, "pat", "Phlebotomist")


@pytest.fixture
def site(session):  # type: ignore[no-untyped-def]
    return make_site(session, name="Leeds General")


def _key(session: Session, site_id: int, kind: str = KeyKind.DISPLAY) -> str:
    return create_api_key(session=session, actor=SETUP, name="Waiting room TV", kind=kind, site_id=site_id, now=NOW)


def _open(client, site_id: int, key: str):  # type: ignore[no-untyped-def]
    """Open the screen as its browser does the first time: with the key, then without."""
    first = client.get(f"/display/{site_id}?key={key}")
    assert first.status_code == 303 and first.headers["Location"] == f"/display/{site_id}"
    return client.get(f"/display/{site_id}")


def _checked_in(session: Session, settings, clinic, count: int,  # type: ignore[no-untyped-def]
                first: int = 0) -> list[Appointment]:
    """Patients booked and checked in with numbers 1.. (check-in itself is tested elsewhere)."""
    made = []
    for n in range(count):
        appt = book(session, settings, clinic, slot=n, n=first + n)
        appt.status, appt.queue_number = "checked_in", n + 1
        appt.checked_in_at = NOW
        session.add(appt)
        made.append(appt)
    session.commit()
    return made


def _names(session: Session, appointments: list[Appointment]) -> list[str]:
    out = []
    for appt in appointments:
        patient = session.get(Patient, appt.patient_id)
        assert patient is not None
        out += [patient.given_name, patient.family_name, patient.nhs_number or "", appt.reference,
                patient.date_of_birth.strftime("%d %B %Y"), patient.date_of_birth.isoformat()]
    return [o for o in out if o]


def test_a_screen_opens_only_with_its_own_sites_display_key(client, session, site):
    other = make_site(session, name="Other Site")
    key = _key(session, site.id)
    assert client.get(f"/display/{site.id}").status_code == 403  # no key yet
    page = _open(client, site.id, key)
    assert page.status_code == 200 and "No one has been called yet today" in page.text
    assert "Blood tests at Leeds General" in page.text and key not in page.text
    cookie = client.get_cookie(display_views.COOKIE, path=f"/display/{site.id}")
    assert cookie is not None and cookie.http_only and cookie.path == f"/display/{site.id}"
    # The same key does not open another site's screen, nor do kiosk or partner keys open any.
    for site_id, token in ((other.id, key), (site.id, _key(session, site.id, KeyKind.KIOSK)),
                           (site.id, make_partner_key(session)), (site.id, "phl_made-up")):
        fresh = client.application.test_client()
        answer = fresh.get(f"/display/{site_id}?key={token}")
        assert answer.status_code == 403 and "This screen is not set up" in answer.text, token
        assert fresh.get_cookie(display_views.COOKIE, path=f"/display/{site_id}") is None
    assert client.get("/display/99999?key=" + key).status_code == 403


def test_withdrawing_the_key_blanks_the_screen(client, session, site):
    key = _key(session, site.id)
    assert _open(client, site.id, key).status_code == 200
    row = session.exec(select(ApiKey).where(ApiKey.kind == KeyKind.DISPLAY)).one()
    row.revoked_at = NOW
    session.commit()
    assert client.get(f"/display/{site.id}").status_code == 403
    assert client.get(f"/display/{site.id}/calls.json").status_code == 403
    assert client.get(f"/display/{site.id}/events").status_code == 403


def test_calls_show_newest_first_with_their_chair_and_never_who(client, app, session, settings, site):
    clinic = make_clinic(session, site=site, day=DAY, chairs=3)
    people = _checked_in(session, settings, clinic, 8)
    two = chairs.save_chair(session=session, site_id=site.id, chair_id=None, name="Chair 2",
                            printer_uri="tcp://127.0.0.1:9100", actor=SETUP, now=NOW)
    three = chairs.save_chair(session=session, site_id=site.id, chair_id=None, name="Room B",
                              printer_uri="tcp://127.0.0.1:9101", actor=SETUP, now=NOW)
    for minute, chair in enumerate((two, three, two, three, two, three, two)):
        staff_queue.call_next(session=session, site_id=site.id, day=DAY, actor=PHLEB,
                              now=NOW + dt.timedelta(minutes=minute), chair_id=chair.id)
    page = _open(client, site.id, _key(session, site.id))
    main = page.text.split('id="display-calls"', 1)[1]
    assert "Now calling" in main and "Number <strong>7</strong>" in main and "Please go to <strong>Chair 2</strong>" in main
    earlier = main.split("Called before", 1)[1]
    assert [f"Number {n}" in earlier for n in (6, 5, 4, 3, 2)] == [True] * 5
    assert earlier.index("Number 6") < earlier.index("Number 5") < earlier.index("Number 2")
    assert "Number 1<" not in earlier  # six calls shown: the newest and five before it
    board = client.get(f"/display/{site.id}/calls.json").json
    assert board["spoken"] == "Number 7, Chair 2" and board["speak"] is False
    for text in (page.text, json.dumps(board)):
        for private in _names(session, people):
            assert private not in text, private


def test_a_call_without_a_chair_and_the_staff_call_next_reach_the_screen(client, app, session, settings, site):
    clinic = make_clinic(session, site=site, day=DAY)
    _checked_in(session, settings, clinic, 2)
    make_staff(session, role="phlebotomist", username="pat", site_id=site.id)
    screen = app.test_client()
    _open(screen, site.id, _key(session, site.id))
    before = screen.get(f"/display/{site.id}/calls.json").json
    sign_in(client, "pat")
    at(app, 9, 5)
    post(client, "/staff/today/call-next", {}, form_page="/staff/today")
    after = screen.get(f"/display/{site.id}/calls.json").json
    assert after["version"] != before["version"] and after["spoken"] == "Number 1"
    assert "Please go to the blood test room" in after["html"]
    # Calls at another site, or on another day, are not this screen's.
    other = make_site(session, name="Other Site")
    _checked_in(session, settings, make_clinic(session, site=other, day=DAY), 1, first=10)
    staff_queue.call_next(session=session, site_id=other.id, day=DAY, actor=PHLEB, now=NOW)
    assert screen.get(f"/display/{site.id}/calls.json").json["version"] == after["version"]


def _events(client, site_id: int, last_event_id: str = "") -> list[dict[str, str]]:  # type: ignore[no-untyped-def]
    headers = {"Last-Event-ID": last_event_id} if last_event_id else {}
    response = client.get(f"/display/{site_id}/events", headers=headers)
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    assert response.headers["Cache-Control"] == "no-store"
    out = []
    for block in response.get_data(as_text=True).split("\n\n"):
        fields: dict[str, str] = {}
        for line in block.splitlines():
            name, _, value = line.partition(": ")
            fields[name] = value
        if block:
            out.append(fields)
    return out


def test_the_events_stream_sends_the_calls_unless_the_browser_has_them(client, session, settings, site,
                                                                     monkeypatch):
    monkeypatch.setattr(display_views, "STREAM_SECONDS", 0.3)
    monkeypatch.setattr(display_views, "POLL_SECONDS", 0.05)
    clinic = make_clinic(session, site=site, day=DAY)
    people = _checked_in(session, settings, clinic, 1)
    staff_queue.call_next(session=session, site_id=site.id, day=DAY, actor=PHLEB, now=NOW)
    _open(client, site.id, _key(session, site.id))
    sent = _events(client, site.id)
    assert sent[0] == {"retry": str(display_views.RETRY_MS)}
    [calls] = [e for e in sent if e.get("event") == "calls"]
    board = json.loads(calls["data"])
    assert calls["id"] == board["version"] and board["spoken"] == "Number 1"
    for private in _names(session, people):
        assert private not in calls["data"]
    # Reconnecting with the calls it already has: nothing new is sent (no second chime).
    assert [e for e in _events(client, site.id, calls["id"]) if e.get("event") == "calls"] == []


def test_an_admin_switches_spoken_calls_on_for_a_site(client, session, site):
    make_staff(session, role="admin", username="ada")
    screen = client.application.test_client()
    _open(screen, site.id, _key(session, site.id))
    before = screen.get(f"/display/{site.id}/calls.json").json
    sign_in(client, "ada")
    page = f"/staff/admin/sites/{site.id}/chairs"
    resp = post(client, f"/staff/admin/sites/{site.id}/call-screen", {"speak_calls": "yes"}, form_page=page)
    assert resp.status_code == 302
    assert "Last changed by" in client.get(page).text
    after = screen.get(f"/display/{site.id}/calls.json").json
    assert after["speak"] is True and after["version"] != before["version"]
    assert 'data-speak="yes"' in screen.get(f"/display/{site.id}").text
    post(client, f"/staff/admin/sites/{site.id}/call-screen", {}, form_page=page)
    assert screen.get(f"/display/{site.id}/calls.json").json["speak"] is False
