"""How transactions end (shared/db.py): on PostgreSQL one that wrote nothing ends with COMMIT, so
psycopg keeps the statements it has prepared (it drops them all on ROLLBACK); one that wrote, or
failed, still rolls back. On SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from sqlalchemy import bindparam, select, text, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from shared.db import is_postgres, make_engine
from shared.models import Site, Slot
from tests.factories import make_clinic, make_site, slots_of

DAY = dt.date(2026, 11, 25)
_SLOT = select(Slot.booked).where(Slot.id == bindparam("slot_id"))  # type: ignore[arg-type]


@pytest.fixture
def one_connection(engine: Engine) -> Iterator[Engine]:
    """An engine with a single pooled connection, so every session below uses the same one."""
    eng = make_engine(engine.url.render_as_string(hide_password=False), pool_size=1)
    yield eng
    eng.dispose()


def _prepared(eng: Engine) -> int:
    with eng.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM pg_prepared_statements")).scalar_one())


def test_reads_keep_prepared_statements_and_writes_still_roll_back(one_connection, session):
    clinic = make_clinic(session, day=DAY, start=dt.time(9), end=dt.time(9, 10), chairs=2)
    slot_id = slots_of(session, clinic)[0].id
    for _ in range(7):  # psycopg prepares a statement on its sixth run (prepare_threshold 5)
        with Session(one_connection) as reader:
            assert reader.connection().execute(_SLOT, {"slot_id": slot_id}).scalar_one() == 0
    if is_postgres(one_connection):
        assert _prepared(one_connection) >= 1  # survived the sessions' ends
    with Session(one_connection) as writer:
        writer.connection().execute(update(Slot).where(Slot.id == slot_id).values(booked=2))  # type: ignore[arg-type]
        writer.add(Site(name="Written then rolled back", address="1 Road", postcode="LS1 1AA", latitude=53.8, longitude=-1.5))
        writer.flush()
        writer.rollback()
    with Session(one_connection) as reader:
        assert reader.connection().execute(_SLOT, {"slot_id": slot_id}).scalar_one() == 0
        assert reader.exec(select(Site).where(Site.name == "Written then rolled back")).first() is None


def test_a_failed_transaction_rolls_back_and_the_connection_serves_on(one_connection, session):
    site = make_site(session)
    with Session(one_connection) as failing:
        with pytest.raises(IntegrityError):
            failing.connection().execute(text("INSERT INTO site (id, name, address, postcode, latitude, longitude, access_notes, paediatric, active) "
                                              "VALUES (:id, 'Twin', '1 Road', 'LS1 1AA', 53.8, -1.5, '', false, true)"),
                                         {"id": site.id})
        failing.rollback()
    with Session(one_connection) as reader:
        assert reader.connection().execute(text("SELECT count(*) FROM site")).scalar_one() == 1
