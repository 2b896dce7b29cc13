"""The `phlebo` command, run in-process against a real database."""

from __future__ import annotations

import io

from sqlmodel import Session, select

from shared.db import make_engine
from shared.models import ApiKey, AppointmentType, KeyKind, LabTest, Site, StaffAudit, StaffUser

from booking_web.services.accounts import authenticate, key_for_token
from phlebo.cli import main


def run(monkeypatch, capsys, tmp_path, engine, *argv, stdin: str = ""):
    monkeypatch.setenv("PHLEBO_DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("PHLEBO_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = main(list(argv))
    return code, capsys.readouterr()


def audited(session: Session, action: str) -> list[tuple[str, str]]:
    """(who, what) of each audit row of this action, oldest first: a command's set-up is
    recorded as whoever ran it on the server."""
    session.expire_all()
    rows = session.exec(select(StaffAudit).where(StaffAudit.action == action).order_by(StaffAudit.id))  # type: ignore[arg-type]
    return [(r.username.split(" (")[-1].rstrip(")"), r.detail) for r in rows]


def test_init_db_on_an_empty_database_then_seed_demo(monkeypatch, capsys, tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    engine = make_engine(url)
    for _ in range(2):  # a second run (the next release) is harmless
        code, out = run(monkeypatch, capsys, tmp_path, engine, "init-db")
        assert code == 0 and "Database ready" in out.out
    code, out = run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    with Session(engine) as session:
        assert code == 0 and len(session.exec(select(Site)).all()) == 4
        assert len(session.exec(select(AppointmentType)).all()) == 5
    engine.dispose()


def test_create_api_key_prints_the_key_alone_on_the_last_line(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-api-key", "GP system")
    key = out.out.strip().splitlines()[-1]
    assert code == 0 and key.startswith("phl_") and " " not in key
    assert key_for_token(session=session, token=key).name == "GP system"
    assert key not in {k.key_hash for k in session.exec(select(ApiKey))}  # only its hash is stored
    # Audited by its first characters only: the log never holds a usable key.
    assert audited(session, "api_key_add") == [
        ("phlebo create-api-key", f'GP system: kind "partner"; site (none); starts "{key[:10]}"')]
    assert key[10:20] not in session.exec(select(StaffAudit.detail)).one()


def test_create_kiosk_needs_a_real_site(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-kiosk", "Front door", "--site", "99")
    assert code == 2 and "site" in out.err
    assert audited(session, "api_key_add") == []  # refused: nothing recorded
    run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-kiosk", "Front door", "--site", "1")
    key = key_for_token(session=session, token=out.out.strip().splitlines()[-1])
    assert code == 0 and key.kind == KeyKind.KIOSK and key.site_id == 1
    [(who, what)] = audited(session, "api_key_add")
    site = session.get(Site, 1)
    assert who == "phlebo create-kiosk" and what.startswith(f'Front door: kind "kiosk"; site "{site.name}"; starts "phl_')


def test_create_staff_with_password_on_stdin(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "sam", "--role", "admin",
                    "--password-stdin", stdin="a long enough password\n")
    assert code == 0
    assert authenticate(session=session, username="sam", password="a long enough password").role == "admin"
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-staff", "kim", "--password-stdin", stdin="short\n")
    assert code == 2 and "12 characters" in out.err
    assert [u.username for u in session.exec(select(StaffUser))] == ["sam"]
    # Sam's account is in the audit log (never the password); Kim's refused one is not.
    assert audited(session, "staff_add") == [
        ("phlebo create-staff", 'sam: name "sam"; role "admin"; site (none); organisation (none)')]
    assert "long enough" not in str(session.exec(select(StaffAudit.detail)).all())


def test_after_init_db_and_seed_demo_a_request_for_catalogue_tests_is_accepted(monkeypatch, capsys, tmp_path):
    """Issue 11 item 16: `seed-demo` alone (not only `phlebo demo`) fills the test catalogue, so
    POST /api/v1/requests with its codes is accepted."""
    from booking_web import create_app
    from shared.config import Settings

    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    for command in ("init-db", "seed-demo"):
        assert run(monkeypatch, capsys, tmp_path, engine, command)[0] == 0
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-api-key", "GP system")
    key = out.out.strip().splitlines()[-1]
    app = create_app(Settings.from_env(), engine=engine)
    answer = app.test_client().post("/api/v1/requests", headers={"Authorization": f"Bearer {key}"}, json={
        "nhs_number": "999 001 0005", "tests": ["FBC", "UE", "GS"], "requester": "Dr Example"})
    assert answer.status_code == 201, answer.json
    # Running it again keeps the catalogue as it is (an admin's changes too).
    with Session(engine) as session:
        fbc = session.get(LabTest, "FBC")
        fbc.container = "EDTA (lavender)"
        session.add(fbc)
        session.commit()
    assert run(monkeypatch, capsys, tmp_path, engine, "seed-demo")[0] == 0
    with Session(engine) as session:
        assert session.get(LabTest, "FBC").container == "EDTA (lavender)"
    engine.dispose()


def test_settle_reports_counts_the_history_once(monkeypatch, capsys, tmp_path, engine, session):
    import datetime as dt

    from shared.models import ReportCount
    from tests.report_world import build_world

    build_world(session, first=dt.date(2026, 3, 2), days=3, sites=1)  # long past by the real clock
    code, out = run(monkeypatch, capsys, tmp_path, engine, "settle-reports")
    assert code == 0 and out.out.startswith("Counted ") and "settled until" in out.out
    session.expire_all()
    assert session.exec(select(ReportCount)).first() is not None
    code, out = run(monkeypatch, capsys, tmp_path, engine, "settle-reports")
    assert code == 0 and out.out.startswith("Nothing to count: settled until"), out.out


def test_create_display_prints_the_screens_link_and_key(monkeypatch, capsys, tmp_path, engine, session):
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-display", "Waiting room", "--site", "99")
    assert code == 2 and "site" in out.err
    run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "create-display", "Waiting room", "--site", "1")
    lines = out.out.strip().splitlines()
    key = key_for_token(session=session, token=lines[-1])
    assert code == 0 and key.kind == KeyKind.DISPLAY and key.site_id == 1
    assert lines[-2].endswith(f"/display/1?key={lines[-1]}")


def test_set_walk_ins_sets_the_cap_and_stops_them(monkeypatch, capsys, tmp_path, engine, session):
    from shared.models import SiteWalkIns

    code, out = run(monkeypatch, capsys, tmp_path, engine, "set-walk-ins", "99", "--cap", "3")
    assert code == 2 and "no site" in out.err
    run(monkeypatch, capsys, tmp_path, engine, "seed-demo")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "set-walk-ins", "1", "--cap", "0")
    assert code == 2 and session.get(SiteWalkIns, 1) is None
    code, out = run(monkeypatch, capsys, tmp_path, engine, "set-walk-ins", "1", "--cap", "3", "--per", "session")
    session.expire_all()
    row = session.get(SiteWalkIns, 1)
    assert code == 0 and row is not None and (row.cap, row.per) == (3, "session")
    code, out = run(monkeypatch, capsys, tmp_path, engine, "set-walk-ins", "1", "--off")
    session.expire_all()
    assert code == 0 and session.get(SiteWalkIns, 1) is None
    # Each change with before and after; the refused cap of 0 recorded nothing.
    name = session.get(Site, 1).name
    assert audited(session, "walk_in_settings") == [
        ("phlebo set-walk-ins", f"{name}: walk-ins none to up to 3 a session"),
        ("phlebo set-walk-ins", f"{name}: walk-ins up to 3 a session to none")]
