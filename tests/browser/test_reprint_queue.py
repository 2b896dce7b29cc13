"""A staff reprint in a real browser goes through the print queue: a double click on Reprint
sends the form twice and queues one job; the page follows that job by itself (no reload) from
queued, to the printer's fault in words while it is out of paper, to printed once a new roll is
in; the simulated printer (ZPL over TCP) prints it once, marked REPRINT. Checked by axe-core."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from contextlib import contextmanager

import zxingcpp
from PIL import Image
from playwright.sync_api import expect
from sqlalchemy import event
from sqlmodel import select

from hardware_sim import SimPrinterServer, VirtualPrinter
from shared.models import JobSource, PrintJob, PrintJobLabel, Specimen
from tests.browser.pages import heading, staff_sign_in
from tests.browser.test_staff_today import arrive, labels_table, run_print_worker
from tests.conftest import NOW


@contextmanager
def slow_reprints(live_server, seconds: float) -> Iterator[None]:  # type: ignore[no-untyped-def]
    """Each reprint job takes this much longer to write: the first press is still being handled
    when the second arrives."""

    def slow(_conn, _cursor, statement, *_args):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("INSERT INTO PRINT_JOB "):
            time.sleep(seconds)

    event.listen(live_server.engine, "before_cursor_execute", slow)
    try:
        yield
    finally:
        event.remove(live_server.engine, "before_cursor_execute", slow)


def test_a_double_clicked_reprint_prints_once_through_a_paper_out(site, live_server, tmp_path):
    with SimPrinterServer(VirtualPrinter(tmp_path / "labels", language="zpl")) as sim:
        patient = arrive(live_server, "Bude Reprint Test Clinic", "bude-phleb", given="Tamsin",
                         family="Penhaligon", nhs_seed=990_000, printer=sim.uri,
                         tests=("FBC", "UE"))
        label = patient.specimens[0]
        page = site.open()
        staff_sign_in(page, patient.username)
        page.goto("/staff/today")
        page.get_by_role("link", name=patient.name, exact=True).click()
        heading(page, patient.name)
        posts: list[str] = []
        page.on("request", lambda r: posts.append(r.url)
                if r.method == "POST" and r.url.endswith("/reprint") else None)
        row = labels_table(page).get_by_role("row").filter(has_text=label)
        row.get_by_role("group", name="Reason for reprint").get_by_label(
            f"Lost or dropped label {label}").check()
        button = row.get_by_role("button", name="Reprint")
        button.scroll_into_view_if_needed()
        box = button.bounding_box()
        assert box is not None
        x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        with slow_reprints(live_server, 0.5):
            page.mouse.click(x, y)
            page.wait_for_timeout(150)  # a second press while the first is on its way
            page.mouse.click(x, y)
            expect(page.get_by_role("status")).to_contain_text(f"Label {label}")
        assert len(posts) == 2, posts  # the browser really sent the form twice
        with live_server.session() as session:
            jobs = session.exec(
                select(PrintJob).join(PrintJobLabel, PrintJobLabel.job_id == PrintJob.id)  # type: ignore[arg-type]
                .join(Specimen, Specimen.id == PrintJobLabel.specimen_pk)  # type: ignore[arg-type]
                .where(Specimen.specimen_id == label, PrintJob.source == JobSource.STAFF)).all()
        assert len(jobs) == 1  # one job for two presses
        mine = jobs[0].id
        reprints = page.locator("#reprint-jobs")
        expect(reprints).to_contain_text("Queued Waiting to print on the site's label printer.")
        site.audit(page, "reprint queued after a double click")

        sim.printer.set_paper_out()
        sent = run_print_worker(live_server)
        assert [s.printer_state for s in sent if s.job_id == mine] == ["fault"]
        expect(reprints).to_contain_text(  # by itself: the page is not reloaded
            "Not printed yet The site's label printer: paper out", timeout=15_000)
        expect(reprints).to_contain_text("It prints by itself once the printer is ready.")
        site.audit(page, "reprint waiting: paper out")

        sim.printer.load_paper()
        retry = NOW + dt.timedelta(seconds=live_server.settings.print_retry_seconds)
        sent = run_print_worker(live_server, retry)
        assert [s.status for s in sent if s.job_id == mine] == ["printed"]
        expect(reprints).to_contain_text("Printed On the site's label printer", timeout=15_000)
        site.audit(page, "reprint printed")
        sim.printer.wait_idle()
        [png] = sorted((tmp_path / "labels").glob("*.png"))
        assert [r.text for r in zxingcpp.read_barcodes(Image.open(png))] == [label]
        assert "REPRINT" in " | ".join(json.loads(png.with_suffix(".json").read_text())["texts"])
