"""A web worker's memory without the whole rush: gunicorn as the rush runs it (sync, cores + 1
workers), everyday requests of every kind a partner system, a health check and a patient's first
page send, and each worker's VmHWM (peak resident) and VmRSS read from /proc; then what a worker
pays, once, the first time it gets one of the rare requests whose libraries are loaded on use.

    scripts/with-postgres.sh .venv/bin/python -m bench.worker_memory [--db sqlite] [--rounds 40]

Prints one JSON document (the figures for bench/HISTORY.md item 24). Nothing passes or fails."""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from bench.databases import KINDS, bench_database
from bench.request_cost import nhs_numbers
from bench.rush import _partner_key
from bench.seed import SeedPlan, seed
from bench.server import ServerConfig, memory_kib, serve
from shared.timeutil import london_today, utcnow

ROOT = Path(__file__).resolve().parent.parent
CLIENTS = 6  # threads sending at once: twice the workers, so every worker is kept busy
SITES = 5

# The rare requests, each with what it imports when a worker first gets one (and a first use,
# where one is cheap to make without a database: the QR code a patient's page shows).
FIRST_USE: dict[str, str] = {
    "QR code on a booking page (qrcode, Pillow)":
        "from booking_web.services.letters import qr_png; qr_png('PHLEBO:ABCDEFGHJ')",
    "appointment letter PDF (ReportLab, bidi)": "import booking_web.services.letters_pdf",
    "calendar file (icalendar)": "import icalendar",
    "label PDF sheet (ReportLab)": "import label_printer.pdf",
    "printer address check (python-escpos, Pillow)": "import label_printer.backends",
    "FHIR body (fhir.resources R4B)": "import fhir.resources.R4B.servicerequest, "
                                      "fhir.resources.R4B.bundle, fhir.resources.R4B.appointment",
    "NHS login sign-in (authlib, joserfc, requests)": "import booking_web.nhs_login.client",
    "GOV.UK Notify send (scheduler only)": "import notifications_python_client",
    # Not an import: the service's argon2id hasher (argon2-cffi's defaults) on a sign-in.
    "staff sign-in (argon2id, 64 MiB for each hash)":
        "from argon2 import PasswordHasher; h = PasswordHasher(); h.verify(h.hash('x' * 12), 'x' * 12)",
}

_FIRST_USE_PROBE = """
import json, sys, time
from booking_web import create_app
create_app()
def kib(field='VmRSS:'):
    for line in open('/proc/self/status'):
        if line.startswith(field):
            return int(line.split()[1])
before, began = kib(), time.perf_counter()
exec(sys.argv[1])
ms = (time.perf_counter() - began) * 1000
print(json.dumps({"ms": ms, "mib": (kib() - before) / 1024, "peak_mib": (kib('VmHWM:') - before) / 1024,
                  "before_mib": before / 1024}))
"""


def load_average() -> float:
    """The machine's 1-minute load average (written beside every figure)."""
    return float(Path("/proc/loadavg").read_text().split()[0])


class _Traffic:
    """Everyday requests from CLIENTS threads: list, book, look up, reschedule and cancel through
    the partner API, FHIR reads, the health checks and metrics, and the public home page."""

    def __init__(self, base_url: str, key: str, day: dt.date):
        self.base_url, self.day = base_url, day
        self.headers = {"Authorization": f"Bearer {key}"}
        self.numbers = nhs_numbers()
        self.lock = threading.Lock()
        self.statuses: dict[str, dict[int, int]] = {}
        self.refusals: dict[str, str] = {}  # the first refusal of each kind, to tell a bench bug

    def _count(self, kind: str, response: httpx.Response) -> httpx.Response:
        with self.lock:
            by_status = self.statuses.setdefault(kind, {})
            by_status[response.status_code] = by_status.get(response.status_code, 0) + 1
            if response.status_code >= 400 and response.status_code != 409:
                self.refusals.setdefault(kind, response.text[:300])
        return response

    def round(self, client: httpx.Client, n: int) -> None:
        """One patient's worth of requests, at site n % SITES + 1."""
        site = n % SITES + 1
        date = self.day.isoformat()
        get = client.get
        self._count("healthz", get("/healthz"))
        self._count("readyz", get("/readyz"))
        self._count("sites", get("/api/v1/sites", headers=self.headers))
        listed = self._count("slots", get("/api/v1/slots", headers=self.headers, params={
            "site_id": site, "date": date, "appointment_type": "adult"}))
        slots = [s["id"] for s in listed.json().get("slots", [])] if listed.status_code == 200 else []
        if len(slots) >= 2:
            with self.lock:
                number = next(self.numbers)
            family = "Bench" + "".join(chr(97 + int(d)) for d in str(n))  # names take no digits
            patient = {"nhs_number": number, "given_name": "Memory", "family_name": family,
                       "date_of_birth": "1970-05-17", "mobile": "07700900123"}
            booked = self._count("book", client.post("/api/v1/appointments", headers=self.headers, json={
                "slot_id": slots[n % len(slots)], "appointment_type": "adult", "patient": patient}))
            if booked.status_code == 201:
                ref = booked.json()["reference"]
                dob = {"date_of_birth": "1970-05-17"}
                self._count("lookup", get(f"/api/v1/appointments/{ref}", headers=self.headers, params=dob))
                if n % 2:
                    self._count("reschedule", client.post(
                        f"/api/v1/appointments/{ref}/reschedule", headers=self.headers,
                        json={**dob, "slot_id": slots[(n + 1) % len(slots)]}))
                if n % 3 == 0:
                    self._count("cancel", client.post(f"/api/v1/appointments/{ref}/cancel",
                                                      headers=self.headers, json=dob))
        self._count("fhir read", get(f"/fhir/R4/Slot?schedule.actor=Location/{site}&start=ge{date}"
                                     f"&start=lt{(self.day + dt.timedelta(days=1)).isoformat()}",
                                     headers=self.headers))
        self._count("fhir metadata", get("/fhir/R4/metadata"))
        self._count("metrics", get("/metrics"))
        self._count("home page", get("/"))


def measure_workers(kind: str, *, rounds: int, workdir: Path, server_url: str | None) -> dict[str, Any]:
    """Start gunicorn as the rush does, send `rounds` rounds of everyday requests, read the
    workers' memory before and after."""
    config = ServerConfig(worker_class="sync", workers=(os.cpu_count() or 2) + 1, threads=1)
    with bench_database(kind, "bench_worker_memory", workdir=workdir, server_url=server_url) as db:
        day = london_today(utcnow()) + dt.timedelta(days=1)
        hours = (dt.time(8, 0), dt.time(18, 0))
        seed(db.url, SeedPlan(sites=SITES, first_day=day, days=1, booked_fraction=0.0, chairs=(4,),
                              weekday_hours=hours, saturday_hours=hours, sunday_hours=hours), now=utcnow())
        key = _partner_key(db.url)
        extra = {"PHLEBO_LOOKUP_LIMIT_PER_MINUTE": "100000", "PHLEBO_METRICS_TOKEN": ""}
        with serve(db.url, config=config, instance_dir=workdir / f"instance-{kind}", extra_env=extra) as server:
            pids = server.worker_pids()
            started = {pid: memory_kib(pid) for pid in pids}
            load_before = load_average()
            traffic = _Traffic(server.base_url, key, day)
            began = time.perf_counter()

            def client_loop(c: int) -> None:
                with httpx.Client(base_url=server.base_url, timeout=30.0) as client:
                    for n in range(c, rounds * CLIENTS, CLIENTS):
                        traffic.round(client, n)

            with ThreadPoolExecutor(CLIENTS) as pool:
                list(pool.map(client_loop, range(CLIENTS)))
            seconds = time.perf_counter() - began
            after = {pid: memory_kib(pid) for pid in pids}
    mib = lambda kib: round(kib / 1024, 1)  # noqa: E731
    return {
        "database": kind,
        "server": config.label(),
        "load_1min_before": load_before,
        "load_1min_after": load_average(),
        "requests": sum(sum(s.values()) for s in traffic.statuses.values()),
        "seconds": round(seconds, 1),
        "statuses": traffic.statuses,
        "refusals": traffic.refusals,
        "started_rss_mib": {str(p): mib(m.get("VmRSS", 0)) for p, m in started.items()},
        "after_hwm_mib": {str(p): mib(m.get("VmHWM", 0)) for p, m in after.items()},
        "after_rss_mib": {str(p): mib(m.get("VmRSS", 0)) for p, m in after.items()},
        "max_started_rss_mib": mib(max(m.get("VmRSS", 0) for m in started.values())),
        "max_hwm_mib": mib(max(m.get("VmHWM", 0) for m in after.values())),
    }


def measure_first_use(*, repeats: int, workdir: Path) -> dict[str, Any]:
    """For each rare request: the time and resident memory its first use adds to a worker that
    has built the app (kept: VmRSS after less before; peak over: VmHWM after less VmRSS before),
    median of `repeats` fresh processes."""
    env = {**os.environ, "PHLEBO_DATABASE_URL": f"sqlite:///{workdir / 'first-use.db'}",
           "PHLEBO_INSTANCE_DIR": str(workdir / "instance-first-use"),
           "PHLEBO_SECRET_KEY": "bench-first-use-" + "Xq4Wz8Lk2Pv7Rm3T" * 2}
    found: dict[str, Any] = {}
    for name, code in FIRST_USE.items():
        runs = []
        for _ in range(repeats):
            done = subprocess.run([sys.executable, "-c", _FIRST_USE_PROBE, code], cwd=ROOT, env=env,
                                  capture_output=True, text=True, timeout=120, check=True)
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
        found[name] = {"ms": round(statistics.median(r["ms"] for r in runs), 1),
                       "kept_mib": round(statistics.median(r["mib"] for r in runs), 1),
                       "peak_over_mib": round(statistics.median(r["peak_mib"] for r in runs), 1),
                       "worker_before_mib": round(statistics.median(r["before_mib"] for r in runs), 1),
                       "load_1min": load_average()}
    return found


def main(argv: list[str] | None = None) -> None:
    """Measure the workers on each database, then the rare requests' first use."""
    parser = argparse.ArgumentParser(prog="python -m bench.worker_memory", description=__doc__)
    parser.add_argument("--db", choices=KINDS, action="append", help="limit to a database (repeatable)")
    parser.add_argument("--rounds", type=int, default=40, help="rounds per client thread")
    parser.add_argument("--first-use-repeats", type=int, default=3)
    parser.add_argument("--no-first-use", action="store_true", help="only the workers")
    args = parser.parse_args(argv)
    server_url = os.environ.get("PHLEBO_TEST_POSTGRES_URL")
    kinds = args.db or [k for k in KINDS if k == "sqlite" or server_url]
    with tempfile.TemporaryDirectory(prefix="bench-worker-memory-") as tmp:
        workdir = Path(tmp)
        result: dict[str, Any] = {
            "workers": [measure_workers(k, rounds=args.rounds, workdir=workdir, server_url=server_url)
                        for k in kinds],
        }
        if not args.no_first_use:
            result["first_use"] = measure_first_use(repeats=args.first_use_repeats, workdir=workdir)
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
