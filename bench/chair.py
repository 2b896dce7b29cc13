"""Chair call to label: where labels print at the chair, the time from the phlebotomist pressing
"Call next to Chair 2" to the patient's last label coming out of Chair 2's printer. Each time:
call next (HTTP), confirm identity by date of birth (HTTP), the print worker (its own process,
`phlebo print-worker` as shipped, 0.5 s between looks at the queue) sends the labels to the
simulated printer over TCP; the clock stops when the simulator has written the last label.

SQLite, gunicorn as deployed, the simulator and the worker each in its own process, once with a
ZPL printer and once with an ESC/POS one. Loopback only; every process stopped at the end."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
from sqlmodel import Session

from bench.databases import bench_database
from bench.kiosk_seed import seed_kiosk_day
from bench.procs import ROOT
from bench.server import SECRET_KEY, ServerConfig, gunicorn
from bench.sim_printer import running_sim_printer
from bench.stats import summary_ms
from booking_web.services import chairs
from booking_web.services.accounts import create_staff
from booking_web.services.staff_audit import Actor
from shared.config import Settings
from shared.db import make_engine
from shared.timeutil import utcnow

NOTE = ("Where labels print at the chair: from the phlebotomist pressing 'Call next to Chair 2' to "
        "the patient's 4th label written by the simulated printer: call next, the patient page "
        "and confirming identity by date of birth over HTTP (with the pages that carry their "
        "CSRF tokens), then `phlebo print-worker` (its own process, looking at the queue every "
        "0.5 s as shipped) printing over TCP. The worker's wait dominates: at most 0.5 s.")
SERVER_ENV = {"PHLEBO_LOOKUP_LIMIT_PER_MINUTE": "100000", "PHLEBO_CHECKIN_EARLY_MINUTES": "120"}
PASSWORD = "bench chair password 2026"
LANGUAGES = ("zpl", "escpos")
# A today-page row of a patient called to Chair 2: its link, then (same row) "Called .. to".
CALLED = re.compile(r'href="/staff/today/(\d+)">(?:(?!</tr>).)*?Called \d\d:\d\d to Chair 2',
                    re.S)


class Browser:
    """A signed-in member of staff over plain HTTP. The session cookie is Secure (production
    settings), so it is carried by hand: on 127.0.0.1 there is no TLS to carry it."""

    def __init__(self, base: str, username: str):
        self.http = httpx.Client(base_url=base, timeout=10)
        self.cookies: dict[str, str] = {}
        self.post("/staff/sign-in", {"username": username, "password": PASSWORD})

    def _send(self, method: str, path: str, **kw: Any) -> httpx.Response:
        header = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        resp = self.http.request(method, path, headers={"Cookie": header}, **kw)
        for raw in resp.headers.get_list("set-cookie"):
            name, _, rest = raw.partition("=")
            self.cookies[name.strip()] = rest.split(";", 1)[0]
        return resp

    def get(self, path: str) -> str:
        """A page's HTML."""
        return self._send("GET", path).text

    def post(self, path: str, data: dict[str, str], form_page: str | None = None) -> httpx.Response:
        """A form post with the CSRF token of the page showing it."""
        token = re.search(r'name="csrf_token" value="([^"]+)"', self.get(form_page or path))
        assert token, f"no CSRF token on {form_page or path}"
        return self._send("POST", path, data={**data, "csrf_token": token.group(1)})


def _labels_written(out_dir: Path) -> int:
    index = out_dir / "index.jsonl"
    if not index.exists():
        return 0
    return sum('"label_printed"' in line for line in index.read_text().splitlines())


def run_chair(*, quick: bool, workdir: Path, config: ServerConfig) -> dict[str, Any]:
    """Per printer language: call-to-label times for N patients, one after another."""
    patients_per_run = 8 if quick else 30
    result: dict[str, Any] = {"status": "measured", "database": "sqlite",
                              "server": config.label(), "patients": patients_per_run}
    for language in LANGUAGES:
        result[language] = _one_run(language, patients_per_run, workdir, config)
    return result


def _one_run(language: str, count: int, workdir: Path, config: ServerConfig) -> dict[str, Any]:
    out_dir = workdir / f"chair-labels-{language}"
    if out_dir.exists():
        for old in out_dir.iterdir():
            old.unlink()
    with bench_database("sqlite", f"bench_chair_{language}", workdir=workdir,
                        server_url=None) as db, \
            running_sim_printer(out_dir, language=language) as sim:  # type: ignore[arg-type]
        instance = workdir / f"instance-chair-{language}"
        settings = Settings.from_env(env={"PHLEBO_SECRET_KEY": SECRET_KEY,
                                          "PHLEBO_DATABASE_URL": db.url,
                                          "PHLEBO_INSTANCE_DIR": str(instance)})
        day = seed_kiosk_day(db.url, patients=count, settings=settings, now=utcnow())
        engine = make_engine(db.url)
        with Session(engine) as session:
            admin = Actor(None, "bench", "Bench admin")
            chair = chairs.save_chair(session=session, site_id=day.site_id, chair_id=None,
                                      name="Chair 2", printer_uri=sim.uri, actor=admin, now=utcnow())
            chair_id = chair.id
            chairs.save_site_printing(session=session, site_id=day.site_id, actor=admin,
                                      now=utcnow(), form=chairs.PrintingForm("chair"))
            create_staff(session=session, actor=admin, username="chairpat", display_name="Bench Phlebotomist",
                         password=PASSWORD, role="phlebotomist", site_id=day.site_id,
                         now=utcnow())
        engine.dispose()
        env = dict(os.environ, PHLEBO_DATABASE_URL=db.url, PHLEBO_INSTANCE_DIR=str(instance),
                   PHLEBO_SECRET_KEY=SECRET_KEY)
        worker = subprocess.Popen([sys.executable, "-m", "phlebo", "print-worker"], cwd=ROOT,
                                  env=env, stdout=subprocess.DEVNULL, start_new_session=True)
        times: list[float] = []
        try:
            with gunicorn(db.url, config=config, instance_dir=instance,
                          extra_env=SERVER_ENV) as server:
                kiosk = httpx.Client(base_url=server.base_url, timeout=10,
                                     headers={"Authorization": f"Bearer {day.kiosk_key}"})
                staff = Browser(server.base_url, "chairpat")
                for patient in day.patients:
                    answer = kiosk.post("/api/v1/kiosk/checkin", json={
                        "reference": patient.reference, "date_of_birth": patient.date_of_birth,
                        "request_id": str(uuid.uuid4())})
                    assert answer.status_code == 200 and answer.json()["labels"] == []
                    before = _labels_written(out_dir)
                    began = time.perf_counter()
                    called = staff.post(f"/staff/today/chairs/{chair_id}/call-next", {},
                                        form_page="/staff/today")
                    assert called.status_code == 302, called.text[:300]
                    called_rows = CALLED.findall(staff.get("/staff/today"))
                    assert called_rows, "the called patient is not on the today page"
                    page = f"/staff/today/{called_rows[-1]}"  # the newest: highest number
                    y, m, d = patient.date_of_birth.split("-")
                    done = staff.post(f"{page}/identify", {"chair_id": str(chair_id),
                                                           "dob-day": d, "dob-month": m,
                                                           "dob-year": y}, form_page=page)
                    assert done.status_code == 302, done.text[:300]
                    deadline = time.monotonic() + 30  # bounded wait for the labels
                    while _labels_written(out_dir) < before + 4 and time.monotonic() < deadline:
                        time.sleep(0.005)
                    if _labels_written(out_dir) >= before + 4:
                        times.append(time.perf_counter() - began)
                kiosk.close()
        finally:
            worker.terminate()
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait(timeout=5)
    return {"labels_per_patient": 4, "printed": len(times), "call_to_label": summary_ms(times),
            "uri_language": language}


def chair_rows(chair: dict[str, Any]) -> list[tuple[str, str, str, str]]:
    """Rows for the report: call-to-label p50/p95 per printer language."""
    if chair.get("status") != "measured":
        return [(f"chair: {chair.get('status', 'not run')}", "", "", "")]
    rows = []
    for language in LANGUAGES:
        figures = chair[language]["call_to_label"]
        rows.append((f"{language}: call next -> 4th label out ({chair[language]['printed']} of "
                     f"{chair['patients']})", f"{figures['p50_ms']} ms", f"{figures['p95_ms']} ms",
                     ""))
    return rows


if __name__ == "__main__":  # python -m bench.chair: a quick look on its own
    print(json.dumps(run_chair(quick=True, workdir=Path(sys.argv[1] if len(sys.argv) > 1
                                                        else "/tmp/bench-chair"),
                               config=ServerConfig()), indent=1))
