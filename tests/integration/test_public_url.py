"""Every link a patient is sent or takes away starts with PHLEBO_PUBLIC_URL, the address patients
use, never with the kiosk's PHLEBO_SERVER_URL or 127.0.0.1 (issue 11 item 4): texts and emails,
the letter, the calendar file and waiting-list offers. In production the site and the scheduler
refuse to start without it."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from icalendar import Calendar

from booking_web.notify import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.services import booking
from booking_web.waitlist.offers import offer_free_chairs
from shared.config import Settings
from tests.conftest import NOW
from tests.integration.test_check_config import phlebo, production
from tests.integration.test_public_booking import confirm, sites, walk_to_check  # noqa: F401 (fixture)
from tests.integration.test_staff import text_of_pdf
from tests.integration.test_waitlist import DOB, offers_to, world

PUBLIC = "https://bloodtests.example.nhs.uk"
KIOSK_SIDE = "http://10.1.2.3:8000"  # where kiosks reach the server: patients never see it


@pytest.fixture
def public_settings(app, settings):  # type: ignore[no-untyped-def]
    """The running app with a public address (kiosks reach it at KIOSK_SIDE, a kiosk setting)."""
    changed = dataclasses.replace(settings, public_url=PUBLIC)
    app.extensions["phlebo"].settings = changed
    return changed


def test_letter_calendar_and_messages_link_to_the_public_address(client, engine, sites, public_settings):
    walk_to_check(client)
    page = confirm(client)
    [event] = Calendar.from_ical(client.get(page.link("Add to your calendar")).data).walk("VEVENT")
    assert f"{PUBLIC}/manage" in str(event["description"])
    letter = text_of_pdf(client.get(page.link("appointment letter")).data)
    assert f"{PUBLIC}/manage" in "".join(letter.split())
    sent = public_settings.outbox_dir
    send_due_messages(engine=engine, settings=public_settings, sender=make_sender(public_settings), now=NOW)
    [sms] = [p.read_text() for p in sent.glob("*-booked-sms.txt")]
    assert f"{PUBLIC}/manage" in sms
    for text in (sms, str(event["description"]), letter):
        assert "127.0.0.1" not in text and KIOSK_SIDE not in text


def test_a_waiting_list_offer_links_to_the_public_address(session, settings):
    settings = dataclasses.replace(settings, public_url=PUBLIC)
    w = world(session, settings, waiters=1)
    booking.cancel_appointment(session=session, reference=w.filler.reference, date_of_birth=DOB, now=NOW)
    assert offer_free_chairs(session=session, settings=settings, now=NOW) == 1
    [message] = offers_to(session, w.waiters[0])
    assert message.personalisation["offer_url"].startswith(f"{PUBLIC}/waiting-list/offer/")


def test_the_setting_is_read_and_the_demo_default_is_this_machine(tmp_path):
    env = {"PHLEBO_INSTANCE_DIR": str(tmp_path)}
    assert Settings.from_env(env).public_url == "http://127.0.0.1:5000"
    assert Settings.from_env({**env, "PHLEBO_PUBLIC_URL": f"{PUBLIC}/"}).public_url == PUBLIC
    # The kiosk's address for the server is the kiosk's setting alone: never a link's start.
    kiosk_side = Settings.from_env({**env, "PHLEBO_SERVER_URL": KIOSK_SIDE})
    assert KIOSK_SIDE not in repr(kiosk_side)


def test_production_refuses_to_start_the_site_and_the_scheduler_without_it(tmp_path):
    env = production(tmp_path, PHLEBO_DATABASE_URL=f"sqlite:///{tmp_path / 'p.db'}")
    del env["PHLEBO_PUBLIC_URL"]
    expected = "PHLEBO_PUBLIC_URL is not set"
    checked = phlebo(env, "check-config")
    assert checked.returncode == 1 and expected in checked.stdout, checked.stdout
    scheduler = phlebo(env, "scheduler", "--once")
    assert scheduler.returncode == 2 and expected in scheduler.stderr, scheduler.stderr
    site = phlebo(env, "serve", "--port", "1")
    assert site.returncode == 2 and expected in site.stderr, site.stderr
    from booking_web import create_app
    from booking_web.config_check import ConfigError

    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        with pytest.raises(ConfigError, match="PHLEBO_PUBLIC_URL"):
            create_app()  # as gunicorn builds it
    # With it, the same settings start (check-config is what the site and scheduler run first).
    assert phlebo({**env, "PHLEBO_PUBLIC_URL": PUBLIC}, "check-config").returncode == 0


def test_a_public_address_patients_cannot_use_is_refused_in_production(tmp_path):
    for bad, words in (("http://bloodtests.example.nhs.uk", "use https://"),
                       ("bloodtests.example.nhs.uk", "not a web address")):
        result = phlebo(production(tmp_path, PHLEBO_PUBLIC_URL=bad), "check-config")
        assert result.returncode == 1 and f"PHLEBO_PUBLIC_URL is {bad!r}" in result.stdout
        assert words in result.stdout
