"""NHS login on the site against the simulated provider (a real OpenID provider on a loopback
port): P9 and P5 sign-in, "Your blood tests", sign-out and time-outs, and every refusal the
security rules ask for: forged, expired or misaddressed ID tokens, replayed state or nonce,
alg none, a state from another browser; tokens never logged, shown or put in an address."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging

import pytest
from sqlmodel import Session, select

from booking_web import create_app
from booking_web.services import booking
from hardware_sim.nhs_login import FAULTS
from shared.models import NhsLoginAttempt, NhsLoginSession
from shared.validation import PatientDetails
from tests.conftest import NOW
from tests.factories import make_clinic, slots_of
from tests.integration.public_pages import get, submit
from tests.nhs_login_sim import authorize, client_key_file, path_of, start_sim, with_nhs_login

JOAN = PatientDetails(nhs_number="9999800017", given_name="Joan", family_name="Whitfield",
                      date_of_birth=dt.date(1951, 6, 14), mobile="07700900456")


class Clock:
    """One clock for the site and the provider, which tests move."""

    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> dt.datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def nhs(settings, engine, tmp_path, clock):  # type: ignore[no-untyped-def]
    """The site with NHS login pointed at a running simulated provider."""
    key_file, key = client_key_file(tmp_path / "keys")
    sim = start_sim(key, clock)
    app = create_app(with_nhs_login(settings, sim, key_file), engine=engine)
    app.config["TESTING"] = True
    app.extensions["phlebo"].clock = clock
    yield app, sim
    sim.stop()


def _start(client, purpose: str = "book") -> str:  # type: ignore[no-untyped-def]
    response = client.get(f"/nhs-login/start/{purpose}")
    assert response.status_code == 302
    return response.location  # type: ignore[no-any-return]


def _sign_in(client, user: str = "p9-joan", purpose: str = "book"):  # type: ignore[no-untyped-def]
    return client.get(path_of(authorize(_start(client, purpose), user)))


def _signed_in_rows(engine) -> list[NhsLoginSession]:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        return list(s.exec(select(NhsLoginSession)))


def _book_joan(engine, day: dt.date = dt.date(2026, 11, 25), **overrides):  # type: ignore[no-untyped-def]
    with Session(engine, expire_on_commit=False) as s:
        slot = slots_of(s, make_clinic(s, day=day))[0]
        return booking.book_appointment(session=s, slot_id=slot.id, type_code="adult",  # type: ignore[arg-type]
                                        patient=dataclasses.replace(JOAN, **overrides), now=NOW,
                                        settings=_settings_for(engine)).appointment


def _settings_for(engine):  # type: ignore[no-untyped-def]
    from shared.config import Settings

    return Settings.from_env({}, database_url=str(engine.url), secret_key="x" * 40)


def test_p9_sign_in_lists_the_patients_bookings_and_opens_one_without_a_reference(nhs, engine):
    app, _sim = nhs
    appointment = _book_joan(engine)
    client = app.test_client()
    back = _sign_in(client, "p9-joan", purpose="manage")
    assert back.status_code == 302 and back.location == "/your-blood-tests"
    page = client.get("/your-blood-tests").get_data(as_text=True)
    assert "Joan Whitfield" in page  # the header says who is signed in
    assert "Wednesday 25 November 2026" in page and "View, change or cancel" in page
    opened = client.get(f"/your-blood-tests/{appointment.reference}")
    assert opened.status_code == 302 and opened.location == "/manage/booking"
    manage = client.get("/manage/booking").get_data(as_text=True)
    assert "Cancel" in manage and appointment.reference[:3] in manage
    [row] = _signed_in_rows(engine)
    assert (row.level, row.nhs_number, row.given_name, row.date_of_birth) == (
        "P9", "9999800017", "Joan", dt.date(1951, 6, 14))
    assert row.mobile == "07700900456" and row.email == "joan.whitfield@example.com"


def test_someone_elses_booking_is_not_opened(nhs, engine):
    app, _sim = nhs
    other = _book_joan(engine, nhs_number="9999800041", given_name="Other")
    client = app.test_client()
    _sign_in(client, "p9-joan", purpose="manage")
    assert client.get(f"/your-blood-tests/{other.reference}").status_code == 404
    assert client.get("/manage/booking").location == "/manage"


def test_a_record_of_the_nhs_number_with_another_name_is_not_shown(nhs, engine):
    app, _sim = nhs
    _book_joan(engine, given_name="Jean")  # someone booked with Joan's NHS number and another name
    client = app.test_client()
    _sign_in(client, "p9-joan", purpose="manage")
    page = client.get("/your-blood-tests").get_data(as_text=True)
    assert "We cannot show your bookings" in page and "View, change or cancel" not in page


def test_p5_signs_in_to_book_only(nhs, engine):
    app, _sim = nhs
    _book_joan(engine, nhs_number="9999800033", given_name="Sam", family_name="Taylor",
               date_of_birth=dt.date(1994, 9, 3))
    client = app.test_client()
    back = _sign_in(client, "p5-sam", purpose="manage")
    assert back.location == "/manage"  # a booking reference is still needed
    assert client.get("/your-blood-tests").location == "/manage"
    [row] = _signed_in_rows(engine)
    # Nothing NHS login says about a P5 account is kept as if checked.
    assert (row.level, row.nhs_number, row.given_name, row.date_of_birth) == ("P5", None, "", None)
    page = client.get("/").get_data(as_text=True)
    assert "Signed in with NHS login" in page and "Your blood tests" not in page


@pytest.mark.parametrize("fault", FAULTS)
def test_a_bad_id_token_is_refused_with_a_clear_page(nhs, engine, fault, caplog):
    app, sim = nhs
    client = app.test_client()
    if fault == "replayed_nonce":
        _sign_in(client)  # an earlier sign-in whose nonce the next token carries
        client = app.test_client()
    before = len(_signed_in_rows(engine))
    sim.break_next_id_token(fault)
    with caplog.at_level(logging.WARNING):
        answer = _sign_in(client)
    assert answer.status_code == 403
    page = answer.get_data(as_text=True)
    assert "We could not sign you in" in page and "Nothing has been booked or changed" in page
    assert len(_signed_in_rows(engine)) == before  # nobody was signed in
    with client.session_transaction() as cookie:
        assert "nhs_login" not in cookie
    assert "ID token" in caplog.text


def test_a_replayed_callback_is_refused_before_any_token_is_asked_for(nhs, engine):
    app, sim = nhs
    client = app.test_client()
    location = _start(client)
    with client.session_transaction() as cookie:
        copied = dict(cookie)  # the cookie as it was before the callback
    callback = path_of(authorize(location, "p9-joan"))
    assert client.get(callback).status_code == 302
    asked = sim.token_requests
    # The same callback again, with the browser's state back in place: the state is used.
    with client.session_transaction() as cookie:
        cookie.clear()
        cookie.update(copied)
    again = client.get(callback)
    assert again.status_code == 400 and "We could not sign you in" in again.get_data(as_text=True)
    assert sim.token_requests == asked
    assert len(_signed_in_rows(engine)) == 1


def test_a_callback_from_another_browser_is_refused(nhs, engine):
    app, sim = nhs
    victim, attacker = app.test_client(), app.test_client()
    # The attacker signs in as themself and sends their callback link to the victim.
    link = path_of(authorize(_start(attacker), "p5-sam"))
    answer = victim.get(link)
    assert answer.status_code == 400 and sim.token_requests == 0
    assert _signed_in_rows(engine) == []


def test_a_sign_in_finished_too_late_is_refused(nhs, clock):
    app, _sim = nhs
    client = app.test_client()
    location = _start(client)
    callback = path_of(authorize(location, "p9-joan"))
    clock.now = NOW + dt.timedelta(minutes=11)
    answer = client.get(callback)
    assert answer.status_code == 400
    assert "Your sign-in took too long" in answer.get_data(as_text=True)


def test_cancelling_at_nhs_login_signs_nobody_in(nhs, engine):
    app, _sim = nhs
    client = app.test_client()
    answer = client.get(path_of(authorize(_start(client), "", cancel=True)))
    assert "You did not sign in with NHS login" in answer.get_data(as_text=True)
    assert _signed_in_rows(engine) == []


def test_signing_in_starts_a_new_session(nhs, engine):
    app, _sim = nhs
    client = app.test_client()
    with client.session_transaction() as cookie:
        cookie["manage"] = {"ref": "PLANTEDREF", "dob": "1970-01-01", "at": NOW.timestamp()}
        cookie["book"] = {"type": "adult"}
    _sign_in(client)
    with client.session_transaction() as cookie:
        assert set(cookie) == {"nhs_login"}
        first = cookie["nhs_login"]
    _sign_in(client)
    with client.session_transaction() as cookie:
        assert cookie["nhs_login"] != first


def test_sign_out_ends_the_session_for_every_copy_of_the_cookie(nhs, engine):
    app, _sim = nhs
    client = app.test_client()
    _sign_in(client, purpose="manage")
    with client.session_transaction() as cookie:
        stolen = dict(cookie)
    page = get(client, "/your-blood-tests")
    assert "Sign out" in page.html
    answer = client.post("/nhs-login/sign-out", data={"csrf_token": page.csrf})
    assert answer.location == "/nhs-login/signed-out"
    assert "You have signed out" in client.get(answer.location).get_data(as_text=True)
    [row] = _signed_in_rows(engine)
    assert row.ended_at is not None and (row.nhs_number, row.given_name, row.date_of_birth) == (
        None, "", None)  # the person's details are not kept
    with client.session_transaction() as cookie:
        cookie.update(stolen)
    assert client.get("/your-blood-tests").location == "/manage"


def test_a_session_left_alone_for_15_minutes_ends(nhs, clock):
    app, _sim = nhs
    client = app.test_client()
    _sign_in(client, purpose="manage")
    clock.now = NOW + dt.timedelta(minutes=10)
    assert client.get("/your-blood-tests").status_code == 200
    clock.now = NOW + dt.timedelta(minutes=26)
    answer = client.get("/your-blood-tests")
    assert answer.location == "/nhs-login/signed-out?timed_out=1"
    assert "you had not done anything for 15 minutes" in client.get(answer.location).get_data(
        as_text=True)


def test_tokens_are_never_logged_shown_or_put_in_an_address(nhs, caplog):
    app, sim = nhs
    client = app.test_client()
    seen: list[str] = []
    with caplog.at_level(logging.DEBUG):
        location = _start(client, "manage")
        callback = authorize(location, "p9-joan")
        answer = client.get(path_of(callback))
        seen += [location, callback, answer.location or "", answer.get_data(as_text=True)]
        follow = client.get(answer.location)
        seen += [follow.get_data(as_text=True), *follow.headers.values()]
    assert len(sim.issued) == 2  # an access token and an ID token
    for token in sim.issued:
        for part in token.split("."):
            assert part not in caplog.text
            assert not any(part in text for text in seen)
    with client.session_transaction() as cookie:
        assert not any(token in str(cookie) for token in sim.issued)
    with Session(app.extensions["phlebo"].engine) as s:
        [attempt] = s.exec(select(NhsLoginAttempt))
        assert attempt.used_at is not None


def test_nhs_login_that_cannot_be_reached_says_so(settings, engine, tmp_path):
    key_file, _key = client_key_file(tmp_path / "keys")
    import socket

    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = dataclasses.replace(settings, nhslogin_issuer=f"http://127.0.0.1:{port}",
                                 nhslogin_client_id="phlebo-test",
                                 nhslogin_private_key_file=key_file)
    app = create_app(config, engine=engine)
    app.extensions["phlebo"].clock = lambda: NOW
    answer = app.test_client().get("/nhs-login/start/book")
    assert answer.status_code == 503
    assert "NHS login is not working at the moment" in answer.get_data(as_text=True)


def test_without_settings_there_is_no_nhs_login(client):
    assert client.get("/nhs-login/start/book").status_code == 404
    assert client.get("/your-blood-tests").status_code == 404
    assert "NHS login" not in client.get("/").get_data(as_text=True)


@pytest.mark.parametrize("agent", [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148 nhsapp-ios/2.30.0",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120.0 Mobile Safari/537.36 nhsapp-android",
])
def test_inside_the_nhs_app_our_header_and_footer_are_hidden(client, agent):
    inside = client.get("/", headers={"User-Agent": agent})
    outside = client.get("/", headers={"User-Agent": "Mozilla/5.0 (iPhone) Mobile/15E148"})
    assert "nhsuk-header" not in inside.get_data(as_text=True)
    assert "nhsuk-footer" not in inside.get_data(as_text=True)
    assert "Book a blood test" in inside.get_data(as_text=True)
    assert "nhsuk-header" in outside.get_data(as_text=True)
    assert "User-Agent" in inside.headers["Vary"]


def test_the_scheduler_ends_abandoned_sessions_and_forgets_old_sign_ins(nhs, engine, settings):
    from booking_web.scheduler.jobs import JobContext, run_job

    app, _sim = nhs
    _sign_in(app.test_client())
    _start(app.test_client())  # a sign-in never finished
    ctx = JobContext(engine=engine, settings=settings, clock=lambda: NOW + dt.timedelta(minutes=5))
    assert run_job(ctx, "tidy_nhs_login") == 0  # still in use: kept
    ctx.clock = lambda: NOW + dt.timedelta(minutes=16)
    assert run_job(ctx, "tidy_nhs_login") == 1
    [row] = _signed_in_rows(engine)
    assert row.ended_at is not None and row.nhs_number is None and row.given_name == ""
    ctx.clock = lambda: NOW + dt.timedelta(days=1, minutes=17)
    run_job(ctx, "tidy_nhs_login")
    assert _signed_in_rows(engine) == []
    with Session(engine) as s:
        assert list(s.exec(select(NhsLoginAttempt))) == []


def _book_signed_in(client, engine, *, nhs_questions: bool = False):  # type: ignore[no-untyped-def]
    """Book the first time of a clinic on 25 November through the pages; the addresses seen."""
    with Session(engine, expire_on_commit=False) as s:
        clinic = make_clinic(s, day=dt.date(2026, 11, 25))
        slot = slots_of(s, clinic)[0]
    seen = [client.get("/book").location]
    for url, data in (("/book/type", {"type": "adult"}), ("/book/postcode", {"all": "1"}),
                      ("/book/place", {"site_id": str(clinic.site_id)}),
                      ("/book/date", {"date": "2026-11-25"}),
                      ("/book/time", {"slot_id": str(slot.id)})):
        answer = submit(client, url, data)
        assert answer.status_code == 302, (url, answer.get_data(as_text=True)[:500])
        seen.append(answer.location)
    return seen


def test_p9_books_with_their_details_given_and_not_editable(nhs, engine):
    app, _sim = nhs
    client = app.test_client()
    assert "Continue with NHS login" in client.get("/").get_data(as_text=True)
    assert "Continue with NHS login" in client.get("/manage").get_data(as_text=True)
    _sign_in(client, "p9-joan", purpose="book")
    seen = _book_signed_in(client, engine)
    assert seen[-1] == "/book/test-request-number"  # no identity or contact questions
    # Their pages cannot be reached or posted to: they lead back into the journey.
    assert client.get("/book/name").status_code == 302
    assert submit(client, "/book/test-request-number", {"request_number": ""}).location == (
        "/book/check")
    check = get(client, "/book/check")
    assert "come from your NHS login" in check.html and "Joan Whitfield" in check.html
    assert 'href="/book/name?from=check"' not in check.html
    assert 'href="/book/test-request-number?from=check"' in check.html
    assert client.post("/book/name", data={"csrf_token": check.csrf, "given_name": "Mallory",
                                           "family_name": "X"}).status_code == 302
    booked = client.post("/book/check", data={"csrf_token": check.csrf})
    assert booked.location == "/book/confirmation"
    with Session(engine) as s:
        from shared.models import Patient

        [patient] = s.exec(select(Patient).where(Patient.nhs_number == "9999800017"))
        assert (patient.given_name, patient.family_name, patient.date_of_birth,
                patient.mobile, patient.email) == ("Joan", "Whitfield", dt.date(1951, 6, 14),
                                                   "07700900456", "joan.whitfield@example.com")


def test_p9_claims_never_rename_a_patient_we_hold(nhs, engine):
    app, _sim = nhs
    _book_joan(engine, day=dt.date(2026, 11, 26), given_name="Jean")  # our record says Jean
    client = app.test_client()
    _sign_in(client, "p9-joan", purpose="book")
    _book_signed_in(client, engine)
    submit(client, "/book/test-request-number", {"request_number": ""})
    check = get(client, "/book/check")
    refused = client.post("/book/check", data={"csrf_token": check.csrf})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "The details from your NHS login do not match what we hold" in page
    with Session(engine) as s:
        from shared.models import Appointment, Patient

        [patient] = s.exec(select(Patient).where(Patient.nhs_number == "9999800017"))
        assert patient.given_name == "Jean"
        assert len(list(s.exec(select(Appointment)))) == 1  # nothing more was booked


def test_p5_types_their_details_as_without_nhs_login(nhs, engine):
    app, _sim = nhs
    client = app.test_client()
    _sign_in(client, "p5-sam", purpose="book")
    seen = _book_signed_in(client, engine)
    assert seen[-1] == "/book/nhs-number-known"
    assert "Continue with NHS login" not in client.get("/").get_data(as_text=True)
