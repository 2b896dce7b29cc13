"""/healthz, /readyz and /metrics on SQLite and PostgreSQL: what each says, who may scrape, and
that the figures move when patients book, change, cancel and check in and labels print. The
metrics text is read back with prometheus_client's parser (not the code that wrote it)."""

from __future__ import annotations

import dataclasses
import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import text
from sqlalchemy.engine import Engine

from booking_web import create_app
from booking_web.migrate import alembic_config
from booking_web.notify.senders import LocalFileSender
from booking_web.scheduler import JOBS, JobContext, run_job
from booking_web.services.booking import cancel_appointment, reschedule_appointment
from booking_web.services.reprints import reprint_specimen
from booking_web.services.staff_audit import Actor
from shared.db import make_engine
from tests.conftest import NOW
from tests.factories import make_clinic, make_site, slots_of
from tests.integration.test_checkin import DAY, DOB, at, book, kiosk_key, report
from tests.sql_log import statements


def samples(client, **kwargs) -> dict[tuple[str, frozenset], float]:  # type: ignore[no-untyped-def]
    """Every sample of a scrape, by (name, labels)."""
    resp = client.get("/metrics", **kwargs)
    assert resp.status_code == 200, resp.text
    assert resp.content_type.startswith("text/plain; version=0.0.4")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def value(found: dict, name: str, **labels: str) -> float:  # type: ignore[type-arg]
    """One sample's value (0 when absent, as for a counter not yet touched)."""
    return found.get((name, frozenset(labels.items())), 0.0)


@pytest.fixture
def stamped(engine: Engine) -> Iterator[None]:
    """The database marked as migrated to the newest revision (the tests build the schema from
    the models); the mark is removed afterwards, as the PostgreSQL database is shared."""
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "head")
    yield
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))


def test_healthz_answers_without_a_database(settings, tmp_path):
    down = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")
    app = create_app(settings, engine=down)
    client = app.test_client()
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.json == {"status": "ok"}
    assert resp.headers["Cache-Control"] == "no-store"
    ready = client.get("/readyz")
    assert ready.status_code == 503 and ready.json["status"] == "not ready"
    assert ready.json["checks"] == {"database": {
        "ok": False, "detail": "database not reachable (OperationalError)"}}
    scraped = samples(client)
    assert value(scraped, "phlebo_database_up") == 0  # the scrape still answers
    down.dispose()


def test_readyz_needs_the_newest_migration(client, engine):
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["checks"]["migrations"]["ok"] is False
    assert "run phlebo init-db" in resp.json["checks"]["migrations"]["detail"]


def test_readyz_is_ready_then_says_why_not(app, client, session, settings, engine, stamped):
    resp = client.get("/readyz")
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "ready"
    assert set(resp.json["checks"]) == {"database", "migrations", "scheduler", "outbox"}

    # A booking queues its confirmation: due now, so not stuck yet.
    site = make_site(session)
    book(session, settings, make_clinic(session, site=site, day=DAY))
    assert client.get("/readyz").status_code == 200
    # Sixteen minutes on and nobody has sent it: stuck.
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=16)
    stuck = client.get("/readyz")
    assert stuck.status_code == 503
    assert stuck.json["checks"]["outbox"] == {
        "ok": False, "detail": "a message has been due for 16 min and not sent"}
    assert "999" not in stuck.text and "Testperson" not in stuck.text  # no patient data

    # A scheduler runs the jobs (the outbox is sent), then is expected and goes quiet.
    ctx = JobContext(engine=engine, settings=settings,
                     sender=LocalFileSender(settings.outbox_dir, settings.public_url),
                     clock=lambda: NOW + dt.timedelta(minutes=16))
    for name in ("mark_no_shows", "queue_reminders", "waitlist_offers", "send_outbox"):
        run_job(ctx, name)
    assert client.get("/readyz").status_code == 200
    expecting = dataclasses.replace(settings, expect_scheduler=True)
    app.extensions["phlebo"].settings = expecting
    assert client.get("/readyz").json["checks"]["scheduler"]["ok"] is True
    quiet = NOW + dt.timedelta(minutes=16, seconds=3 * 60 + 61)  # three ticks and a minute
    app.extensions["phlebo"].clock = lambda: quiet
    stale = client.get("/readyz")
    assert stale.status_code == 503
    assert stale.json["checks"]["scheduler"] == {
        "ok": False, "detail": "last job run 241 s ago: the scheduler has stopped"}


def test_an_expected_scheduler_that_never_ran_is_not_ready(app, client, settings, stamped):
    app.extensions["phlebo"].settings = dataclasses.replace(settings, expect_scheduler=True)
    resp = client.get("/readyz")
    assert resp.status_code == 503
    assert resp.json["checks"]["scheduler"] == {"ok": False,
                                                "detail": "no scheduler has run a job yet"}


def test_metrics_need_the_token_when_one_is_set(app, client, settings):
    app.extensions["phlebo"].settings = dataclasses.replace(settings, metrics_token="s3cret-token")
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert "phlebo_" not in refused.text
    # With the token, from anywhere.
    samples(client, headers={"Authorization": "Bearer s3cret-token"},
            environ_base={"REMOTE_ADDR": "10.1.2.3"})


def test_metrics_without_a_token_answer_this_machine_only(client):
    samples(client)  # the test client comes from 127.0.0.1
    samples(client, environ_base={"REMOTE_ADDR": "::1"})
    away = client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert away.status_code == 403 and "PHLEBO_METRICS_TOKEN" in away.text
    proxied = client.get("/metrics", headers={"X-Forwarded-For": "203.0.113.9"})
    assert proxied.status_code == 403


def test_figures_move_as_patients_book_change_cancel_and_check_in(
    app, client, session, settings, engine
):
    site = make_site(session, name="Leeds General")
    clinic = make_clinic(session, site=site, day=DAY, start=dt.time(9), end=dt.time(12), chairs=3)
    before = samples(client)

    first = book(session, settings, clinic, slot=0, n=0)
    second = book(session, settings, clinic, slot=1, n=1)
    quick = dataclasses.replace(settings, min_notice_minutes=0)
    reschedule_appointment(session=session, reference=second.reference, date_of_birth=dt.date(
        1970, 5, 17), new_slot_id=slots_of(session, clinic)[2].id, now=NOW, settings=quick)
    cancel_appointment(session=session, reference=second.reference,
                       date_of_birth=dt.date(1970, 5, 17), now=NOW)
    after_bookings = samples(client)
    for event, moved in (("made", 2), ("changed", 1), ("cancelled", 1)):
        assert (value(after_bookings, "phlebo_bookings_total", event=event)
                - value(before, "phlebo_bookings_total", event=event)) == moved, event
    # Each booking, change and cancellation queued a text message (the patients give a mobile).
    pending = value(after_bookings, "phlebo_outbox_messages", status="pending")
    assert pending == value(before, "phlebo_outbox_messages", status="pending") + 4
    assert value(after_bookings, "phlebo_outbox_oldest_pending_age_seconds") == 0  # just queued

    # Check in at the kiosk; the printer confirms all but one label.
    at(app, 8, 55)
    kiosk = kiosk_key(session, site)
    body = client.post("/api/v1/kiosk/checkin", headers=kiosk, json={
        "reference": first.reference, "date_of_birth": DOB, "request_id": str(uuid.uuid4())}).json
    labels = [lab["specimen_id"] for lab in body["labels"]]
    assert len(labels) == 2, body
    job = body["print_job"]["id"]
    report(client, kiosk, job, {labels[0]: "confirmed", labels[1]: "unconfirmed"})
    report(client, kiosk, job, {labels[0]: "confirmed", labels[1]: "confirmed"})
    reprint_specimen(session=session, specimen_id_text=labels[0], site_id=site.id,
                     actor=Actor(None, "pat", "Pat"), reason="damaged", now=NOW, settings=settings)
    after = samples(client)

    def moved(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert moved("phlebo_checkins_total") == 1
    assert moved("phlebo_labels_printed_total", source="kiosk") == 2  # the retry filled the gap
    assert moved("phlebo_labels_failed_total", source="kiosk") == 1
    assert moved("phlebo_label_reprints_total") == 1
    # Requests by route (the URL rule: no reference) and their latency histogram.
    route = {"method": "POST", "route": "/api/v1/kiosk/print-jobs/<int:job_id>"}
    assert moved("phlebo_http_requests_total", status="200", **route) == 2
    assert moved("phlebo_http_request_duration_seconds_count", **route) == 2
    assert value(after, "phlebo_http_request_duration_seconds_bucket", le="+Inf", **route) >= 2
    assert moved("phlebo_http_requests_total", method="GET", route="/metrics", status="200") >= 2
    assert not any(first.reference in str(labels) for (_n, labels) in after)

    # Outbox age grows with the clock; scheduler runs are counted from the database.
    app.extensions["phlebo"].clock = lambda: NOW + dt.timedelta(minutes=5)
    ctx = JobContext(engine=engine, settings=settings,
                     sender=LocalFileSender(settings.outbox_dir, settings.public_url),
                     clock=lambda: NOW + dt.timedelta(minutes=5))
    assert value(samples(client), "phlebo_outbox_oldest_pending_age_seconds") == 300
    run_job(ctx, "send_outbox")
    run_job(ctx, "send_outbox")
    scraped = samples(client)
    assert value(scraped, "phlebo_outbox_messages", status="pending") == 0
    assert value(scraped, "phlebo_outbox_oldest_pending_age_seconds") == 0
    assert value(scraped, "phlebo_scheduler_job_runs_total", job="send_outbox") == 2
    assert value(scraped, "phlebo_scheduler_job_failures_total", job="send_outbox") == 0
    assert value(scraped, "phlebo_scheduler_heartbeat_age_seconds") == 0
    assert value(scraped, "phlebo_scheduler_job_last_success_timestamp_seconds",
                 job="send_outbox") == (NOW + dt.timedelta(minutes=5)).timestamp()


def test_a_failed_job_run_is_counted(engine, settings, client, monkeypatch):
    def explode(_ctx, _now):  # type: ignore[no-untyped-def]
        raise RuntimeError("boom")

    monkeypatch.setitem(JOBS, "explode", explode)
    ctx = JobContext(engine=engine, settings=settings, clock=lambda: NOW,
                     sender=LocalFileSender(settings.outbox_dir, settings.public_url))
    with pytest.raises(RuntimeError):
        run_job(ctx, "explode")
    scraped = samples(client)
    assert value(scraped, "phlebo_scheduler_job_runs_total", job="explode") == 1
    assert value(scraped, "phlebo_scheduler_job_failures_total", job="explode") == 1
    assert ("phlebo_scheduler_job_last_success_timestamp_seconds",
            frozenset({("job", "explode")})) not in scraped


def test_readyz_and_a_scrape_cost_a_few_small_statements(client, engine, stamped):
    """Polled every few seconds by every load balancer and Prometheus: a fixed handful of
    queries, none reading patients or bookings."""
    client.get("/readyz")  # the first asks Alembic for this release's newest migration, once
    with statements(engine) as ready:
        assert client.get("/readyz").status_code == 200
    assert len(ready) == 4, ready  # SELECT 1, the version, the scheduler, the outbox
    with statements(engine) as scrape:
        samples(client)
    assert len(scrape) == 2, scrape  # the outbox by status, the scheduler's jobs
    for sql in ready + scrape:
        assert "patient" not in sql.lower() and "appointment" not in sql.lower(), sql
