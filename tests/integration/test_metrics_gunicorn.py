"""/metrics under real gunicorn with 3 workers: bookings served by different workers add up in
every scrape, whichever worker answers it; and the site's log lines are JSON."""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import httpx
from prometheus_client.parser import text_string_to_metric_families

from shared.nhs_number import make_test_number
from tests.integration.live_site import gunicorn, make_world, site_env

BOOKINGS = 24
TOKEN = "scrape-token-for-tests-0123"
ROUTE = {"method": "POST", "route": "/api/v1/appointments", "status": "201"}


def scrape(base: str) -> dict[tuple[str, frozenset], float]:  # type: ignore[type-arg]
    """One scrape on a new connection (so any worker may answer)."""
    resp = httpx.get(f"{base}/metrics", headers={"Authorization": f"Bearer {TOKEN}",
                                                 "Connection": "close"}, timeout=10)
    assert resp.status_code == 200, resp.text
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(resp.text) for s in family.samples}


def test_three_workers_add_up(tmp_path):
    world = make_world(tmp_path / "phlebo.db")
    metrics_dir = tmp_path / "metrics"
    metrics_dir.mkdir()
    (metrics_dir / "counter_1.db").write_bytes(b"")  # left by an earlier run: emptied at start
    env = site_env(world, tmp_path / "instance", PHLEBO_METRICS_TOKEN=TOKEN,
                   PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), PHLEBO_LOG_FORMAT="auto")
    log_path = tmp_path / "gunicorn.log"
    with gunicorn(env, log_path, workers=3) as base:
        def book(n: int) -> int:
            body = {"slot_id": world.slot_ids[n % len(world.slot_ids)], "appointment_type": "adult",
                    "patient": {"nhs_number": make_test_number(7000 + 13 * n), "given_name": "Ada",
                                "family_name": "Testperson" + chr(ord("a") + n),
                                "date_of_birth": "1961-02-03", "mobile": "07700 900 123"}}
            resp = httpx.post(f"{base}/api/v1/appointments", json=body, timeout=30, headers={
                "Authorization": f"Bearer {world.key}", "Connection": "close"})
            return resp.status_code

        with ThreadPoolExecutor(6) as pool:
            assert list(pool.map(book, range(BOOKINGS))) == [201] * BOOKINGS
        # Each worker keeps its own counts: more than one of them booked.
        booking_workers = {p.name for p in metrics_dir.glob("counter_*.db")}
        assert len(booking_workers) >= 2 and "counter_1.db" not in booking_workers
        for _ in range(6):
            found = scrape(base)
            assert found[("phlebo_bookings_total", frozenset({("event", "made")}))] == BOOKINGS
            assert found[("phlebo_http_requests_total", frozenset(ROUTE.items()))] == BOOKINGS
            count = ("phlebo_http_request_duration_seconds_count",
                     frozenset({("method", "POST"), ("route", "/api/v1/appointments")}))
            assert found[count] == BOOKINGS
            assert found[("phlebo_outbox_messages", frozenset({("status", "pending")}))] == BOOKINGS
    # Not a terminal: every line gunicorn and the site wrote is one JSON object.
    lines = log_path.read_text().splitlines()
    events = [json.loads(line) for line in lines]
    assert any(e["logger"] == "gunicorn.error" and "Booting worker" in e["message"] for e in events)
    access = [e for e in events if e["logger"] == "phlebo.access"
              and e.get("route") == "/api/v1/appointments"]
    assert len(access) == BOOKINGS and {e["status"] for e in access} == {201}
    assert all(len(e["request_id"]) == 32 for e in access)
    assert not [e for e in events if e["logger"] == "gunicorn.access"]  # it logs the path
    text = log_path.read_text()
    assert "Testperson" not in text and make_test_number(7000) not in text


def test_a_metrics_folder_holding_other_files_stops_the_start(tmp_path):
    """Pointed at a folder with a database in it, the site neither wipes nor reads it."""
    world = make_world(tmp_path / "phlebo.db")
    env = site_env(world, tmp_path / "instance", PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    result = subprocess.run(
        [sys.executable, "-m", "gunicorn", "-c", "python:phlebo.gunicorn_conf",
         "booking_web:create_app()"], env={**env, "PHLEBO_BIND": "127.0.0.1:0"},
        capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "PROMETHEUS_MULTIPROC_DIR" in result.stderr and "phlebo.db" in result.stderr
    assert (tmp_path / "phlebo.db").stat().st_size > 0  # untouched
