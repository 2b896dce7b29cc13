"""Migration 0004 on a database that already holds requests: each gets the status of the booking
that carries it and a first history row, on SQLite and PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.engine import Engine, make_url

from booking_web.migrate import alembic_config
from shared.db import make_engine
from tests.conftest import _postgres_server_url


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_engine(request, tmp_path) -> Iterator[Engine]:  # type: ignore[no-untyped-def]
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path / 'old.db'}")
        yield engine
        engine.dispose()
        return
    server = _postgres_server_url()
    if server is None:
        pytest.skip("PostgreSQL not configured")
    name = f"phlebo_mig_{uuid.uuid4().hex[:8]}"
    admin = make_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(server).set(database=name).render_as_string(hide_password=False))
    yield engine
    engine.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _upgrade(engine: Engine, target: str) -> None:
    cfg = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        cfg.attributes["connection"] = connection
        command.upgrade(cfg, target)


def test_requests_made_before_get_a_status_and_a_first_history_row(empty_engine):
    _upgrade(empty_engine, "0013_booking_language")
    with empty_engine.begin() as conn:
        conn.execute(text(
            "INSERT INTO appointment_type (code, name, description, duration_minutes, paediatric_site_only, "
            "sort_order) VALUES ('adult', 'Adult', '', 10, false, 1)"))
        conn.execute(text(
            "INSERT INTO site (id, name, address, postcode, latitude, longitude, access_notes, paediatric, active) "
            "VALUES (1, 'S', 'A', 'LS1 4AB', 53.8, -1.5, '', false, true)"))
        conn.execute(text(
            "INSERT INTO clinic_session (id, site_id, date, start_time, end_time, slot_minutes, chairs, "
            "closed_reason, created_at) VALUES (1, 1, '2026-11-25', '09:00', '10:00', 10, 1, '', "
            "'2026-11-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO slot (id, session_id, site_id, starts_at, ends_at, capacity, booked) "
            "VALUES (1, 1, 1, '2026-11-25 09:00:00', '2026-11-25 09:10:00', 1, 1)"))
        conn.execute(text(
            "INSERT INTO patient (id, nhs_number, given_name, family_name, date_of_birth, postcode, mobile, email, "
            "created_at) VALUES (1, '9990000018', 'A', 'B', '1970-01-01', '', '', '', '2026-11-01 00:00:00')"))
        for rid, number in ((1, "RQ00000001"), (2, "RQ00000002")):
            conn.execute(text(
                "INSERT INTO lab_request (id, request_number, nhs_number, requester, created_at) "
                f"VALUES ({rid}, '{number}', '9990000018', 'Dr Old', '2026-11-01 00:00:00')"))
        conn.execute(text(
            "INSERT INTO appointment (id, reference, slot_id, site_id, patient_id, type_code, status, "
            "request_number, starts_at, created_at, updated_at, cancel_reason, collected_by, version) "
            "VALUES (1, 'ABCDEFGHJ', 1, 1, 1, 'adult', 'checked_in', 'RQ00000002', '2026-11-25 09:00:00', "
            "'2026-11-01 00:00:00', '2026-11-01 00:00:00', '', '', 1)"))
    _upgrade(empty_engine, "head")
    with empty_engine.connect() as conn:
        statuses = conn.execute(text("SELECT request_number, status, source FROM lab_request ORDER BY id")).all()
        events = conn.execute(text("SELECT request_id, status FROM request_event ORDER BY id")).all()
    assert [tuple(r) for r in statuses] == [("RQ00000001", "waiting", "api"), ("RQ00000002", "checked_in", "api")]
    assert [tuple(e) for e in events] == [(1, "waiting"), (2, "waiting"), (2, "checked_in")]
