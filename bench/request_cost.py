"""CPU a request costs the web tier, measured in this process (no HTTP, no other process):
`python -m bench.request_cost [--db sqlite|postgresql] [--n N] [--profile]`.

Why: on a shared machine the rush's absolute rates move 3x with the load, but the CPU this
process spends on a request moves little. The app is called as WSGI (what gunicorn calls), with
the rush's requests: GET /api/v1/sites, GET /api/v1/slots and POST /api/v1/appointments (a new
patient each time, a listed slot), and POST /api/v1/appointments for a slot already full (409
slot_taken: about every other rush patient gets one), alone and after a listing. On SQLite the
figure includes the database's own work (it runs in this process); on PostgreSQL the server's
backend is another process (its CPU is not counted here: the rush counts it). `--profile` adds
function calls a request and writes a cProfile of each request kind (GET /sites, GET /slots,
GET /slots + POST /appointments, the 409) to bench/out/."""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import os
import pstats
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench.databases import KINDS, bench_database
from bench.seed import SeedPlan, seed
from bench.rush import _database_pids, _partner_key
from bench.server import children_of, cpu_seconds
from shared.config import Settings
from shared.nhs_number import check_digit
from shared.timeutil import london_today, utcnow

WORKDIR = Path(__file__).resolve().parent / "out"


def nhs_numbers() -> Iterator[str]:
    """Valid NHS numbers in the never-issued 999 range, in order."""
    n = 0
    while True:
        n += 1
        first = f"999{n:06d}"
        digit = check_digit(first)
        if digit is not None:
            yield first + str(digit)


class Caller:
    """Calls the WSGI app as gunicorn would, with a bearer key; returns (status, body bytes)."""

    def __init__(self, app: Any, key: str) -> None:
        self.app, self.key = app, key

    def __call__(self, method: str, path: str, query: str = "", body: bytes = b"") -> tuple[int, bytes]:
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "REMOTE_ADDR": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1:8000", "HTTP_AUTHORIZATION": f"Bearer {self.key}",
            "wsgi.url_scheme": "http", "wsgi.input": io.BytesIO(body), "wsgi.errors": sys.stderr,
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "wsgi.version": (1, 0),
        }
        if body:
            environ["CONTENT_TYPE"] = "application/json"
            environ["CONTENT_LENGTH"] = str(len(body))
        status: list[str] = []
        chunks = self.app(environ, lambda s, _h, _e=None: status.append(s))
        try:
            data = b"".join(chunks)
        finally:
            getattr(chunks, "close", lambda: None)()
        return int(status[0].split()[0]), data


def _cpu_ms(fn: Callable[[], object], n: int, server: list[int]) -> tuple[float, float]:
    """This process's CPU ms a call, and the database server's (PostgreSQL's processes: only ours
    run on the throwaway server; 0 for SQLite)."""
    began, began_db = time.process_time(), cpu_seconds(children_of(server[0])) if server else 0.0
    for _ in range(n):
        fn()
    db_s = (cpu_seconds(children_of(server[0])) if server else 0.0) - began_db
    return 1000 * (time.process_time() - began) / n, 1000 * db_s / n


def _engine_options(engine: Any, options: dict[str, Any]) -> Any:
    """An engine like `engine` (same events) with other pool/driver options, for experiments."""
    from sqlalchemy import create_engine

    from shared.db import _refuse_unstorable_text

    connect_args = {k: v for k, v in options.items() if k == "prepare_threshold"}
    pool = {k: v for k, v in options.items() if k != "prepare_threshold"}
    other = create_engine(engine.url, connect_args=connect_args, hide_parameters=True,
                          **{"pool_size": 10, "max_overflow": 10, "pool_pre_ping": True, **pool})
    _refuse_unstorable_text(other)
    engine.dispose()
    return other


def measure(kind: str, *, n: int, profile: bool, server_url: str | None,
            options: dict[str, Any] | None = None) -> dict[str, Any]:
    """Seed a day, build the app, and time each request kind by this process's CPU."""
    from booking_web import create_app

    day = london_today(utcnow()) + dt.timedelta(days=1)
    hours = (dt.time(7, 0), dt.time(19, 0))
    sites = 8
    result: dict[str, Any] = {"database": kind, "n": n}
    with bench_database(kind, "bench_request_cost", workdir=WORKDIR, server_url=server_url) as db:
        seed(db.url, SeedPlan(sites=sites, first_day=day, days=1, booked_fraction=0.0, chairs=(8,),
                              weekday_hours=hours, saturday_hours=hours, sunday_hours=hours), now=utcnow())
        key = _partner_key(db.url)
        settings = Settings.from_env({"PHLEBO_MIN_NOTICE_MINUTES": "0"}, database_url=db.url,
                                     instance_dir=WORKDIR / f"instance-cost-{kind}", secret_key="bench-cost",
                                     environment="production")
        app = create_app(settings)
        if options and kind == "postgresql":
            state = app.extensions["phlebo"]
            state.engine = _engine_options(state.engine, options)
            result["options"] = options
        server = _database_pids(db.url)
        call = Caller(app, key)
        engine = app.extensions["phlebo"].engine
        statements = [0]
        event.listen(engine, "before_cursor_execute", lambda *a: statements.__setitem__(0, statements[0] + 1))
        numbers = nhs_numbers()
        site = [0]

        def slots() -> list[int]:
            site[0] = site[0] % sites + 1
            status, body = call("GET", "/api/v1/slots", f"site_id={site[0]}&date={day}&appointment_type=adult")
            assert status == 200, body
            return [s["id"] for s in json.loads(body)["slots"]]

        def post(slot_id: int) -> tuple[int, bytes]:
            payload = {"slot_id": slot_id, "appointment_type": "adult",
                       "patient": {"nhs_number": next(numbers), "given_name": "Bench", "family_name": "Cost",
                                   "date_of_birth": "1970-05-17", "mobile": "07700900123"}}
            return call("POST", "/api/v1/appointments", body=json.dumps(payload).encode())

        def pick() -> int:
            free = slots()
            return free[len(free) // 2]

        def book_in(slot_id: int) -> None:
            status, answer = post(slot_id)
            assert status == 201, answer

        def book() -> None:
            book_in(pick())

        # One slot with every chair taken: a booking for it is refused (409 slot_taken), as in the
        # rush when another patient got there first.
        full = slots()[0]
        while post(full)[0] == 201:
            pass

        def refuse() -> None:
            status, answer = post(full)
            assert status == 409, answer

        def slots_then_refuse() -> None:
            slots()
            refuse()

        def sites_() -> None:
            status, body = call("GET", "/api/v1/sites")
            assert status == 200, body

        for fn in (sites_, slots, book, refuse):  # warm: connections, compiled caches, imports
            for _ in range(20):
                fn()
        for name, fn in (("sites", sites_), ("slots", slots), ("slots_then_book", book), ("refused", refuse),
                         ("slots_then_refused", slots_then_refuse)):
            statements[0] = 0
            best, db_ms = min(_cpu_ms(fn, n, server) for _ in range(3))  # the least disturbed of three
            result[f"{name}_cpu_ms"] = round(best, 3)
            if server:
                result[f"{name}_db_cpu_ms"] = round(db_ms, 3)
            result[f"{name}_statements"] = round(statements[0] / (3 * n), 2)
        result["book_cpu_ms"] = round(result["slots_then_book_cpu_ms"] - result["slots_cpu_ms"], 3)
        if server:
            result["book_db_cpu_ms"] = round(result["slots_then_book_db_cpu_ms"] - result["slots_db_cpu_ms"], 3)
        if profile:
            for name, fn in (("sites", sites_), ("slots", slots), ("book", book), ("refused", refuse)):
                result[f"{name}_calls"], result[f"{name}_profile"] = _profile(kind, name, fn, n)
            result["book_calls"] = round(result["book_calls"] - result["slots_calls"], 1)  # book() lists first
        engine.dispose()
    return result


def _profile(kind: str, name: str, fn: Callable[[], object], n: int) -> tuple[float, str]:
    """Function calls a call of `fn` under cProfile (deterministic: the load cannot move it), and
    the profile written to bench/out/cprofile-NAME-KIND.txt."""
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        fn()
    prof.disable()
    out = WORKDIR / f"cprofile-{name}-{kind}.txt"
    text = io.StringIO()
    stats = pstats.Stats(prof, stream=text)
    stats.sort_stats("tottime").print_stats(40)
    stats.sort_stats("cumulative").print_stats(60)
    out.write_text(text.getvalue())
    prof.dump_stats(out.with_suffix(".prof"))  # for pstats: callers, callees
    return round(stats.total_calls / n, 1), str(out)  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> int:
    """Print each engine's CPU ms per request as JSON lines."""
    parser = argparse.ArgumentParser(prog="python -m bench.request_cost", description=__doc__)
    parser.add_argument("--db", choices=KINDS, action="append")
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--log", action="store_true",
                        help="log as under gunicorn (PHLEBO_LOG_FORMAT json, INFO; lines to /dev/null): "
                             "each request then pays its access line")
    parser.add_argument("--options", type=json.loads, default=None,
                        help='PostgreSQL engine options to try, e.g. {"prepare_threshold": 0, "pool_pre_ping": false}')
    args = parser.parse_args(argv)
    server_url = os.environ.get("PHLEBO_TEST_POSTGRES_URL")
    WORKDIR.mkdir(parents=True, exist_ok=True)
    if args.log:
        from phlebo import logs

        logs.configure({"PHLEBO_LOG_FORMAT": "json"}, stream=open(os.devnull, "w"), force=True)  # noqa: SIM115
    for kind in args.db or KINDS:
        if kind == "postgresql" and not server_url:
            continue
        load = os.getloadavg()[0]
        found = measure(kind, n=args.n, profile=args.profile, server_url=server_url, options=args.options)
        found["load_before"], found["load_after"] = round(load, 2), round(os.getloadavg()[0], 2)
        print(json.dumps(found))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
