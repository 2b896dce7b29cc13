"""Staff reprints go through the print queue, on SQLite and PostgreSQL, to the simulated printer
over TCP (ESC/POS and ZPL): the patient page queues the job and answers at once, the print worker
prints it, the page shows where it stands (queued, printed, or the printer's fault in words), a
fault loses nothing, and a double submit or simultaneous presses queue one job."""

from __future__ import annotations

import datetime as dt
import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session, select

from booking_web.services import print_queue, reprints
from booking_web.services.site_admin import set_printer
from booking_web.services.staff_audit import Actor
from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.printer import Language
from shared.errors import RuleViolation
from shared.models import JobSource, PrintJob, PrintJobLabel, StaffAudit
from tests.integration.test_staff import (  # noqa: F401  (fixtures)
    checked_in,
    phleb,
    post,
    sign_in,
    site,
)
from tests.threads import race

PAT = Actor(None, "pat", "Phlebotomist")


@pytest.fixture(params=["escpos", "zpl"])
def printer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SimPrinterServer]:
    """The site's label printer: the simulator over TCP, in ESC/POS or ZPL."""
    language: Language = request.param
    with SimPrinterServer(VirtualPrinter(tmp_path / "labels", language=language)) as server:
        yield server


@pytest.fixture
def at_site_printer(session, site, printer):  # type: ignore[no-untyped-def]  # noqa: F811
    set_printer(session=session, site_id=site.id, uri=printer.uri)
    return printer


def now_of(app) -> dt.datetime:  # type: ignore[no-untyped-def]
    return app.extensions["phlebo"].clock()


def work(session, settings, when):  # type: ignore[no-untyped-def]
    """One round of `phlebo print-worker` at `when`."""
    return print_queue.run_due_jobs(session=session, clock=lambda: when, settings=settings)


def on_paper(printer: VirtualPrinter) -> list[tuple[list[str], str]]:
    """Each printed label: the ids its barcodes decode to, and its text (ZPL) or '' (ESC/POS)."""
    printer.wait_idle()
    out = []
    for png in sorted(printer.out_dir.glob("*.png")):
        meta = json.loads(png.with_suffix(".json").read_text())
        out.append(([r.text for r in zxingcpp.read_barcodes(Image.open(png))],
                    " | ".join(meta.get("texts", []))))
    return out


def staff_jobs(session: Session) -> list[PrintJob]:
    session.expire_all()
    return list(session.exec(select(PrintJob).where(PrintJob.source == JobSource.STAFF)
                             .order_by(PrintJob.id)))


def reprint_audits(session: Session) -> int:
    return len(session.exec(select(StaffAudit).where(StaffAudit.action == "reprint")).all())


def state_of(client, appointment_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    """The reprints region as the patient page fetches it: each reprint's state and words."""
    page = client.get(f"/staff/today/{appointment_id}/reprints")
    assert page.status_code == 200
    cells = re.findall(r'data-reprint-state="(\w+)">(.*?)</td>', page.text, re.S)
    return [f"{state}: {html.unescape(re.sub(r'<[^>]+>', '', words)).strip()}"
            for state, words in cells]


def test_a_reprint_is_queued_and_the_print_worker_prints_it(
        client, app, session, settings, phleb, checked_in, at_site_printer):  # noqa: F811
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "damaged",
                                            "seen": "0"}, form_page=path)
    assert resp.status_code == 302
    page = client.get(resp.headers["Location"]).text
    assert (f"Reprint recorded (marked REPRINT). Label {ids[0]} is queued for the site&#39;s "
            "label printer" in page)
    # The web request printed nothing: the job waits for the worker.
    assert on_paper(at_site_printer.printer) == []
    [job] = staff_jobs(session)
    assert job.next_try_at is not None and job.status == "pending"
    assert state_of(client, appt.id) == ["queued: Queued Waiting to print on the site's label "
                                         "printer."]
    audits = len(session.exec(select(StaffAudit)).all())

    assert [s.status for s in work(session, settings, now_of(app))] == ["printed"]
    [(barcodes, text)] = on_paper(at_site_printer.printer)
    assert barcodes == [ids[0]]
    if at_site_printer.printer.language == "zpl":
        assert "REPRINT" in text
    assert state_of(client, appt.id) == ["printed: Printed On the site's label printer, 08:55."]
    assert len(session.exec(select(StaffAudit)).all()) == audits  # the region is not a look
    assert work(session, settings, now_of(app)) == []  # nothing left: printed once
    assert len(on_paper(at_site_printer.printer)) == 1


def test_a_printer_fault_loses_nothing_and_the_page_says_so(
        client, app, session, settings, phleb, checked_in, at_site_printer):  # noqa: F811
    appt, ids = checked_in
    printer = at_site_printer.printer
    printer.set_paper_out()
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "lost", "seen": "0"},
         form_page=path)
    [sent] = work(session, settings, now_of(app))
    assert sent.status == "pending" and sent.printer_state == "fault"
    [state] = state_of(client, appt.id)
    assert state.startswith("fault: Not printed yet The site's label printer: paper out")
    assert state.endswith("It prints by itself once the printer is ready.")
    assert "Reprints" in client.get(path).text and on_paper(printer) == []
    today = client.get("/staff/today").text  # the day's page says so too, within seconds
    assert "Label printer problem" in today and "Site label printer: paper out" in today

    # Pressed again from a fresh page while it waits: still one job, nothing more to print.
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "lost",
                                            "seen": "1"}, form_page=path)
    assert (f"Label {ids[0]} was already sent for reprinting: no second copy was made."
            in client.get(resp.headers["Location"]).text)
    assert len(staff_jobs(session)) == 1 and reprint_audits(session) == 1

    printer.load_paper()
    later = now_of(app) + dt.timedelta(seconds=settings.print_retry_seconds)
    assert [s.status for s in work(session, settings, later)] == ["printed"]
    assert [barcodes for barcodes, _text in on_paper(printer)] == [[ids[0]]]
    assert state_of(client, appt.id)[0].startswith("printed: Printed")
    assert "Label printer problem" not in client.get("/staff/today").text


def test_a_double_submit_queues_one_job_even_after_it_printed(
        client, app, session, settings, phleb, checked_in, at_site_printer):  # noqa: F811
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    form = {"specimen_id": ids[0], "reason": "damaged", "seen": "0"}
    first = post(client, f"{path}/reprint", form, form_page=path)
    second = post(client, f"{path}/reprint", form, form_page=path)
    assert first.status_code == second.status_code == 302
    assert "was already sent for reprinting" in client.get(second.headers["Location"]).text
    work(session, settings, now_of(app))
    third = post(client, f"{path}/reprint", form, form_page=path)  # the same form, sent late
    assert "was already sent for reprinting" in client.get(third.headers["Location"]).text
    assert len(staff_jobs(session)) == 1 and reprint_audits(session) == 1
    assert len(on_paper(at_site_printer.printer)) == 1
    # A fresh page (one reprint shown) may ask for the next, up to the cap.
    post(client, f"{path}/reprint", {**form, "seen": "1"}, form_page=path)
    assert len(staff_jobs(session)) == 2 and reprint_audits(session) == 2


@pytest.mark.parametrize("seen", ["\u00b2", "\u0663", "-1", "1e3", "99999", ""])
def test_a_seen_count_that_is_not_a_small_number_is_ignored(
        client, session, phleb, checked_in, seen):  # noqa: F811
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "damaged",
                                            "seen": seen}, form_page=path)
    assert resp.status_code == 302  # never a 500: read as no count, one reprint made
    assert len(staff_jobs(session)) == 1


def test_without_a_printer_the_reprint_is_its_pdf(
        client, session, phleb, checked_in):  # noqa: F811
    appt, ids = checked_in
    sign_in(client, "pat")
    path = f"/staff/today/{appt.id}"
    resp = post(client, f"{path}/reprint", {"specimen_id": ids[0], "reason": "damaged"},
                form_page=path)
    assert "No label printer is set up for this site: print the PDF" in client.get(
        resp.headers["Location"]).text
    [job] = staff_jobs(session)
    assert job.next_try_at is None  # not the worker's
    assert state_of(client, appt.id) == [
        "no_printer: PDF only No label printer is set up for this site: print the PDF."]
    assert client.get(f"/staff/print-jobs/{job.id}/labels.pdf").status_code == 200


def _press_at_once(engine, settings, now: dt.datetime, specimen_id: str, seen: int | None,  # type: ignore[no-untyped-def]
                   n: int = 8) -> list:
    """`n` phlebotomists press Reprint on the same label at the same moment."""

    def press(_i: int) -> object:
        with Session(engine, expire_on_commit=False) as own:
            try:
                result = reprints.reprint_specimen(
                    session=own, specimen_id_text=specimen_id, site_id=None, actor=PAT,
                    reason="damaged", now=now, settings=settings, seen=seen)
                return result.job.id
            except RuleViolation as exc:
                return exc.code

    results = race(n, press, timeout=60)
    assert not any(isinstance(r, BaseException) for r in results), results  # a job or a refusal each
    return results


def test_simultaneous_presses_of_one_form_queue_one_job(
        engine, app, session, settings, checked_in, at_site_printer):  # noqa: F811
    _appt, ids = checked_in
    results = _press_at_once(engine, settings, now_of(app), ids[0], seen=0)
    [job] = staff_jobs(session)
    assert results == [job.id] * 8 and reprint_audits(session) == 1


def test_simultaneous_reprints_never_pass_the_cap(
        engine, app, session, settings, checked_in):  # noqa: F811
    # No printer, so no reprint waits in the queue and each press is a reprint of its own: the
    # cap alone stops them, counted under the label's lock.
    _appt, ids = checked_in
    results = _press_at_once(engine, settings, now_of(app), ids[0], seen=None)
    jobs = staff_jobs(session)
    assert len(jobs) == settings.reprint_cap == 2
    assert sorted(map(str, results)) == sorted([str(j.id) for j in jobs] + ["reprint_cap"] * 6)
    labels = session.exec(select(PrintJobLabel).where(
        PrintJobLabel.job_id.in_([j.id for j in jobs]))).all()  # type: ignore[attr-defined]
    assert len(labels) == 2 and reprint_audits(session) == 2
