"""The kiosk's own /metrics on a local port: the printer's state, the last good print, labels
printed or not, and print reports queued while the server is away (real HTTP scrapes, read
with prometheus_client's parser; real printing to the simulator; the contract stub server)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from kiosk_app.config import KioskConfig
from kiosk_app.effects import Services, execute
from kiosk_app.flow import PrintLabels
from kiosk_app.headless import OK, run_checkin
from kiosk_app.metrics import parse_address, serve_metrics
from tests.kiosk.conftest import DOB, TODAY


@pytest.fixture
def scrape(services: Services) -> Iterator[object]:
    """Serve the kiosk's metrics on a free local port; call to scrape them."""
    server = serve_metrics(("127.0.0.1", 0), services.metrics, services.api.pending_reports)
    url = f"http://127.0.0.1:{server.server_address[1]}/metrics"

    def read() -> dict[tuple[str, frozenset], float]:  # type: ignore[type-arg]
        resp = httpx.get(url, timeout=5)
        assert resp.status_code == 200
        return {(s.name, frozenset(s.labels.items())): s.value
                for f in text_string_to_metric_families(resp.text) for s in f.samples}

    yield read
    server.shutdown()
    server.server_close()


def state(found: dict) -> str:  # type: ignore[type-arg]
    """The one printer state set to 1."""
    [name] = [dict(labels)["state"] for (n, labels), v in found.items()
              if n == "phlebo_kiosk_printer_state" and v == 1]
    return name


def test_printer_state_last_print_and_queued_reports(stub, services, sim_printer, scrape):
    first = scrape()
    assert state(first) == "unknown"  # nothing printed yet: not assumed ok
    assert ("phlebo_kiosk_last_successful_print_timestamp_seconds", frozenset()) not in first
    assert first[("phlebo_kiosk_print_reports_queued", frozenset())] == 0

    code = run_checkin(services, reference="ABCDEFGHJ", date_of_birth=DOB, out=lambda _l: None,
                       today=lambda: TODAY)
    assert code == OK
    printed = scrape()
    assert state(printed) == "ok"
    assert printed[("phlebo_kiosk_labels_printed_total", frozenset())] == 2
    good_at = printed[("phlebo_kiosk_last_successful_print_timestamp_seconds", frozenset())]
    assert abs(good_at - dt.datetime.now(dt.UTC).timestamp()) < 60

    sim_printer.set_paper_out(0)
    stub.add("KMNPQRSTW", "1990-01-01")
    code = run_checkin(services, reference="KMNPQRSTW", date_of_birth=dt.date(1990, 1, 1),
                       out=lambda _l: None, today=lambda: TODAY)
    assert code == OK
    fault = scrape()
    assert state(fault) == "fault"
    assert fault[("phlebo_kiosk_labels_not_printed_total", frozenset())] == 2
    assert fault[("phlebo_kiosk_last_successful_print_timestamp_seconds", frozenset())] == good_at

    # The server fails after a check-in: the labels print, the report waits in the outbox.
    sim_printer.load_paper()
    stub.add("PQRSTWXYZ", "1980-06-01")
    result = services.api.checkin(reference="PQRSTWXYZ", date_of_birth=dt.date(1980, 6, 1),
                                  request_id=str(uuid.uuid4()))
    stub.fail_reports = 1
    execute(PrintLabels(result.print_job_id, result.labels), services)
    away = scrape()
    assert state(away) == "ok"
    assert away[("phlebo_kiosk_print_reports_queued", frozenset())] == 1
    assert away[("phlebo_kiosk_labels_printed_total", frozenset())] == 4


def test_the_metrics_address_setting():
    assert KioskConfig.from_env({}).metrics_address == ("127.0.0.1", 9101)
    assert KioskConfig.from_env({"PHLEBO_KIOSK_METRICS": "off"}).metrics_address is None
    assert parse_address("[::1]:9200") == ("::1", 9200)
    with pytest.raises(ValueError, match="PHLEBO_KIOSK_METRICS must be host:port"):
        KioskConfig.from_env({"PHLEBO_KIOSK_METRICS": "9101"})
