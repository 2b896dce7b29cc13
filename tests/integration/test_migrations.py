"""`phlebo init-db` (Alembic) builds exactly the schema the models describe, on both engines."""

from __future__ import annotations

import datetime as dt
import uuid
from types import SimpleNamespace

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel, select

import shared.models  # noqa: F401
from booking_web.migrate import alembic_config, upgrade
from booking_web.reference_data import ensure_reference_data
from booking_web.services import checkin
from booking_web.services.accounts import create_api_key
from shared.config import Settings
from shared.db import make_engine
from shared.models import AppointmentStatus, IdempotencyKey, KeyKind, PrintJob
from tests.conftest import _postgres_server_url
from tests.factories import SETUP, make_clinic, make_patient, slots_of


def _assert_matches_models(engine) -> None:  # type: ignore[no-untyped-def]
    upgrade(engine)
    upgrade(engine)  # running it again is harmless
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), SQLModel.metadata)
    assert diff == [], "models changed without a migration: " + repr(diff)[:2000]


def test_migrations_match_models_on_sqlite(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.db'}")
    _assert_matches_models(engine)
    engine.dispose()


def test_migrations_match_models_on_postgresql():
    server = _postgres_server_url()
    if server is None:
        pytest.skip("PostgreSQL not configured")
    name = f"phlebo_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    try:
        _assert_matches_models(engine)
    finally:
        engine.dispose()
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _database(kind: str, tmp_path):  # type: ignore[no-untyped-def]
    """An empty database of this kind, and how to drop it."""
    if kind == "sqlite":
        return make_engine(f"sqlite:///{tmp_path / 'carry.db'}"), lambda: None
    server = _postgres_server_url()
    if server is None:
        pytest.skip("PostgreSQL not configured")
    name = f"phlebo_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()

    return make_engine(make_url(server).set(database=name).render_as_string(hide_password=False)), drop


def test_check_in_attempts_of_the_last_day_become_idempotency_keys(tmp_path):
    """A kiosk resending its check-in across the upgrade that replaced checkin_attempt still gets
    its answer (same queue number), on both engines."""
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    day = now.date()
    for kind in ("sqlite", "postgresql"):
        engine, drop = _database(kind, tmp_path)
        try:
            cfg = alembic_config(engine.url.render_as_string(hide_password=False))
            with engine.begin() as connection:
                cfg.attributes["connection"] = connection
                command.upgrade(cfg, "0010_booking_channel")  # the revision before the keys
            with Session(engine, expire_on_commit=False) as session:
                ensure_reference_data(session)
                clinic = make_clinic(session, day=day, start=dt.time(0, 0), end=dt.time(23, 50))
                slot = slots_of(session, clinic)[0]
                kiosk_id = 1
                create_api_key(session=session, actor=SETUP,
                               name="Kiosk", kind=KeyKind.KIOSK, site_id=clinic.site_id, now=now)
                patient = make_patient(7)
                session.execute(text(
                    "INSERT INTO patient (nhs_number, given_name, family_name, date_of_birth, postcode, mobile,"
                    " email, created_at) VALUES (:n, 'Jane', 'Carry', :dob, '', '07700900123', '', :now)"),
                    {"n": patient.nhs_number, "dob": patient.date_of_birth, "now": now})
                # The table as it was at 0010 (the model has columns added since): plain SQL.
                session.execute(text(
                    "INSERT INTO appointment (reference, slot_id, site_id, patient_id, type_code, status,"
                    " request_number, starts_at, created_at, updated_at, cancel_reason, cancelled_by,"
                    " checked_in_at, queue_number, collected_by, version, channel, walk_in)"
                    " VALUES ('AAABBBCCC', :slot, :site, 1, 'adult', :status, NULL, :starts, :now, :now, '', '',"
                    " :now, 4, '', 1, '', :no)"),
                    {"slot": slot.id, "site": clinic.site_id, "status": AppointmentStatus.CHECKED_IN.value,
                     "starts": slot.starts_at, "now": now, "no": False})
                appt = SimpleNamespace(id=session.execute(
                    text("SELECT id FROM appointment WHERE reference = 'AAABBBCCC'")).scalar_one())
                job = PrintJob(appointment_id=appt.id, site_id=clinic.site_id, source="kiosk", status="printed",
                               created_at=now, api_key_id=kiosk_id)
                session.add(job)
                session.flush()
                for request_id, age in (("2b8f3c1e-0000-4000-8000-000000000001", dt.timedelta(minutes=5)),
                                        ("2b8f3c1e-0000-4000-8000-000000000002", dt.timedelta(days=2))):
                    session.execute(text(
                        "INSERT INTO checkin_attempt (request_id, appointment_id, api_key_id, print_job_id, created_at)"
                        " VALUES (:r, :a, :k, :j, :t)"), {"r": request_id, "a": appt.id, "k": kiosk_id, "j": job.id,
                                                         "t": now - age})
                session.commit()
                appointment_id, job_id, site_id = appt.id, job.id, clinic.site_id
            upgrade(engine)
            with Session(engine, expire_on_commit=False) as session:
                [key] = session.exec(select(IdempotencyKey)).all()  # the two-day-old one is gone
                assert key.request_key.endswith("0001") and key.scope == f"api:{kiosk_id}"
                assert key.body == {"appointment_id": appointment_id, "print_job_id": job_id}
                done = checkin.check_in(session=session, site_id=site_id, api_key_id=kiosk_id, reference="AAA-BBB-CCC",
                                        date_of_birth=patient.date_of_birth, request_id=key.request_key, now=now,
                                        settings=Settings.from_env({}, secret_key="x"))
                assert (done.queue_number, done.job_id, done.labels) == (4, job_id, [])
        finally:
            engine.dispose()
            drop()

