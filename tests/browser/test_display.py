"""The waiting-room call screen in a real browser on a 1920x1080 TV: opened once with its display
key; a phlebotomist's 'Call next to Chair N' shows on the screen within 2 seconds (server-sent
events), with no patient's name or details anywhere in the page; after the network drops, the
screen catches up by itself. axe finds nothing; screenshots in test-artifacts/browser/."""

from __future__ import annotations

import datetime as dt
import os
import signal
import time
from pathlib import Path

from playwright.sync_api import Page, expect
from sqlmodel import Session

from booking_web.services import chairs, staff_queue
from booking_web.services.accounts import create_api_key
from booking_web.services.staff_audit import Actor
from shared.db import make_engine
from shared.models import Appointment, KeyKind, Patient, PrintAt, SiteDisplay, SitePrinting
from shared.timeutil import london_today, utcnow
from tests.browser.pages import far_site, staff_sign_in
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_site, make_staff, slots_of
from tests.integration.live_site import free_port, gunicorn, make_world, site_env

TODAY = dt.date(2026, 11, 23)
NAMES = [("Morwenna", "Penhaligon"), ("Jago", "Tregothnan"), ("Demelza", "Carne")]


def _set_up(live_server, name: str = "Padstow Call Screen Clinic", *,  # type: ignore[no-untyped-def]
            speak: bool = False) -> tuple[int, str, list[str]]:
    """A site printing at the chair with two chairs, three patients checked in (numbers 1-3),
    a phlebotomist, and a display key. Gives the site id, the key and what must never show."""
    place = far_site(live_server, name)
    private: list[str] = []
    with live_server.session() as session:
        make_staff(session, role="phlebotomist", username=f"phleb-{place.id}", site_id=place.id)
        session.add(SitePrinting(site_id=place.id, print_at=PrintAt.CHAIR))
        session.add(SiteDisplay(site_id=place.id, speak_calls=speak))
        session.commit()
        for name, port in (("Chair 1", 9301), ("Chair 2", 9302)):
            chairs.save_chair(session=session, site_id=place.id, chair_id=None, name=name,
                              printer_uri=f"zpl+tcp://127.0.0.1:{port}", actor=SETUP, now=NOW)
        clinic = make_clinic(session, site=place, day=TODAY, start=dt.time(8), end=dt.time(10))
        for n, (given, family) in enumerate(NAMES):
            patient = Patient(given_name=given, family_name=family, date_of_birth=dt.date(1950, 1, 2 + n),
                                 nhs_number=None, created_at=NOW)
            session.add(patient)
            session.flush()
            slot = slots_of(session, clinic)[n]
            slot.booked += 1
            appt = Appointment(reference=f"P{place.id:04d}W{n:03d}", slot_id=slot.id, site_id=place.id,  # type: ignore[arg-type]
                               patient_id=patient.id, type_code="adult", status="checked_in",  # type: ignore[arg-type]
                               starts_at=slot.starts_at, created_at=NOW, updated_at=NOW,
                               checked_in_at=NOW, queue_number=n + 1)
            session.add(appt)
            private += [given, family, appt.reference]
        session.commit()
        key = create_api_key(session=session, actor=SETUP, name="Padstow TV", kind=KeyKind.DISPLAY,
                             site_id=place.id, now=NOW)
    return place.id, key, private


def _never_private(screen: Page, private: list[str]) -> None:
    shown = screen.content()
    for text in private:
        assert text.lower() not in shown.lower(), text


def _call(staff: Page, chair: str) -> float:
    """Press 'Call next to <chair>' and give the moment it was pressed."""
    button = staff.get_by_role("button", name=f"Call next to {chair}")
    button.wait_for()
    pressed = time.monotonic()
    button.click()
    return pressed


def test_a_call_shows_on_the_tv_within_two_seconds_and_no_name_ever(site, live_server):
    site_id, key, private = _set_up(live_server)
    screen = site.open(width=1920, height=1080)
    screen.goto(f"/display/{site_id}?key={key}")
    assert screen.url.endswith(f"/display/{site_id}")  # the key left the address bar
    expect(screen.locator("main")).to_contain_text("No one has been called yet today")
    site.audit(screen, "call screen, nobody called yet")

    staff = site.open()
    staff_sign_in(staff, f"phleb-{site_id}")
    staff.goto("/staff/today")
    pressed = _call(staff, "Chair 2")
    expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 1", timeout=2000)
    first_seen = time.monotonic() - pressed
    expect(screen.locator(".phlebo-display__now")).to_contain_text("Please go to Chair 2")
    _never_private(screen, private)

    pressed = _call(staff, "Chair 1")
    expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 2", timeout=2000)
    second_seen = time.monotonic() - pressed
    expect(screen.locator(".phlebo-display__earlier")).to_contain_text("Number 1")
    expect(screen.locator(".phlebo-display__earlier")).to_contain_text("Chair 2")
    _never_private(screen, private)
    assert first_seen < 2 and second_seen < 2, (first_seen, second_seen)
    site.audit(screen, "call screen, number 2 called to chair 1")
    (site.artifacts / "tv-1920x1080.png").write_bytes(screen.screenshot())  # the TV as seen



# Records what the page asks to say and each tone of the chime (headless Chromium has no voice).
LISTEN = """() => {
  window.__spoken = []; window.__tones = 0;
  window.SpeechSynthesisUtterance = function (text) { this.text = text; };
  Object.defineProperty(window, "speechSynthesis", {value: {speak: u => window.__spoken.push([u.text, u.lang])}});
  const Real = window.AudioContext;
  window.AudioContext = class extends Real {
    createOscillator() { window.__tones += 1; return super.createOscillator(); }
  };
}"""


def test_a_new_call_chimes_and_is_said_aloud_where_the_site_wants_it(site, live_server):
    for name, speak in (("St Ives Spoken Calls Clinic", True), ("Hayle Quiet Calls Clinic", False)):
        site_id, key, _private = _set_up(live_server, name, speak=speak)
        screen = site.open(width=1920, height=1080)
        screen.add_init_script(f"({LISTEN})()")
        screen.goto(f"/display/{site_id}?key={key}")
        with live_server.session() as session:
            chair = chairs.list_chairs(session=session, site_id=site_id)[1]
            staff_queue.call_next(session=session, site_id=site_id, day=TODAY, now=NOW,
                                  actor=Actor(None, "t", "T"), chair_id=chair.id)
        expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 1", timeout=2000)
        screen.wait_for_timeout(1500)  # the words come after the chime
        assert screen.evaluate("window.__tones") == 2, name  # two notes, once
        assert screen.evaluate("window.__spoken") == ([["Number 1, Chair 2", "en-GB"]] if speak else []), name
        screen.reload()  # calls already made do not chime again (the listener is set up afresh)
        screen.wait_for_timeout(1500)
        assert screen.evaluate("window.__tones") == 0 and screen.evaluate("window.__spoken") == [], name


def test_without_javascript_the_screen_reloads_itself(site, live_server):
    place = far_site(live_server, "Fowey Call Screen Clinic")
    with live_server.session() as session:
        key = create_api_key(session=session, actor=SETUP,
                             name="Fowey TV", kind=KeyKind.DISPLAY, site_id=place.id, now=NOW)
    screen = site.open(width=1920, height=1080, javascript=False)
    screen.goto(f"/display/{place.id}?key={key}")
    refresh = screen.locator("noscript").first.inner_html()
    assert 'http-equiv="refresh"' in refresh and 'content="3"' in refresh
    expect(screen.locator("main")).to_contain_text("No one has been called yet today")


def test_a_screen_without_its_key_says_so(site, live_server):
    place = far_site(live_server, "Looe Call Screen Clinic")
    screen = site.open(width=1920, height=1080)
    response = screen.goto(f"/display/{place.id}")
    assert response is not None and response.status == 403
    expect(screen.locator("h1")).to_have_text("This screen is not set up")
    site.audit(screen, "call screen without its key")


def test_the_screen_catches_up_by_itself_after_the_server_restarts(browser, tmp_path):
    """gunicorn as in production is killed outright; a call made while it is down shows once it
    is back on the same address, with no one touching the screen."""
    world = make_world(tmp_path / "site.db")
    engine = make_engine(world.url)
    today = london_today(utcnow())
    with Session(engine, expire_on_commit=False) as session:
        place = make_site(session, name="Restart Clinic")
        clinic = make_clinic(session, site=place, day=today, start=dt.time(0, 0), end=dt.time(1, 0))
        for n, slot in enumerate(slots_of(session, clinic)[:2]):
            patient = Patient(given_name="Wenna", family_name=f"Restart{n}", date_of_birth=dt.date(1960, 3, 4),
                              created_at=NOW)
            session.add(patient)
            session.flush()
            session.add(Appointment(reference=f"RSTRT{n:04d}", slot_id=slot.id, site_id=place.id,  # type: ignore[arg-type]
                                    patient_id=patient.id, type_code="adult", status="checked_in",  # type: ignore[arg-type]
                                    starts_at=slot.starts_at, created_at=NOW, updated_at=NOW,
                                    checked_in_at=NOW, queue_number=n + 1))
        session.commit()
        key = create_api_key(session=session, actor=SETUP, name="Restart TV", kind=KeyKind.DISPLAY, site_id=place.id,
                             now=utcnow())
    env = site_env(world, tmp_path / "instance", PHLEBO_ENV="development")
    log, port = tmp_path / "gunicorn.log", free_port()
    actor = Actor(None, "test", "Test")

    def call() -> None:
        with Session(engine) as session:
            staff_queue.call_next(session=session, site_id=place.id, day=today, actor=actor, now=utcnow())

    context = browser.new_context(viewport={"width": 1920, "height": 1080}, locale="en-GB")
    context.route("https://assets.nhs.uk/**", lambda route: route.abort())
    try:
        screen = context.new_page()
        with gunicorn(env, log, workers=2, port=port) as base:
            screen.goto(f"{base}/display/{place.id}?key={key}")
            call()
            expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 1", timeout=2000)
            _kill(base)
            call()  # while the site is down
            time.sleep(2)
            expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 1")
        with gunicorn(env, log, workers=2, port=port):
            expect(screen.locator(".phlebo-display__now")).to_contain_text("Number 2", timeout=10_000)
    finally:
        context.close()
        engine.dispose()


def _kill(base: str) -> None:
    """Kill the gunicorn serving `base` and its workers at once (a crash, not a clean stop)."""
    marker = f"PHLEBO_BIND={base.removeprefix('http://')}".encode()
    pids = []
    for proc in Path("/proc").iterdir():
        try:
            if proc.name.isdigit() and marker in (proc / "environ").read_bytes().split(b"\0"):
                pids.append(int(proc.name))
        except OSError:  # gone, or not ours to read
            continue
    assert pids, "no gunicorn found for " + base
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
