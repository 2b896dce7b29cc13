"""`phlebo demo` wires its simulated label printer to every demo site, so a staff reprint at
the chair prints a label (a PNG from the simulator, sent by the print worker) rather than
offering an A4 PDF."""

from __future__ import annotations

import dataclasses
import datetime as dt

import zxingcpp
from PIL import Image

from booking_web.services.booking import book_appointment
from booking_web.services.print_jobs import create_kiosk_job
from booking_web.services.print_queue import run_due_jobs
from booking_web.services.reprints import reprint_specimen
from booking_web.services.site_admin import list_sites, printer_uri
from booking_web.services.staff_audit import Actor
from label_printer import LabelSize
from phlebo import demo
from shared.config import Settings
from shared.db import make_engine, session_scope
from tests.conftest import NOW
from tests.factories import make_clinic, make_patient, slots_of
from tests.label_images import ink_outside_margin, same_dots


def test_a_reprint_in_the_demo_prints_a_label_on_the_simulated_printer(tmp_path):
    settings = Settings.from_env({"PHLEBO_INSTANCE_DIR": str(tmp_path)}, min_notice_minutes=0)
    engine = make_engine(settings.database_url)
    demo._prepare_database(engine)
    printer = demo.start_printer(engine, tmp_path / "labels")
    try:
        with session_scope(engine) as session:
            sites = list_sites(session=session)
            assert len(sites) > 1
            assert {printer_uri(session=session, site_id=s.id) for s in sites} == {printer.uri}
            clinic = make_clinic(session, site=sites[0], day=dt.date(2026, 11, 23))
            appt = book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id,
                                    type_code="adult", patient=make_patient(3), now=NOW,
                                    settings=settings).appointment
            job = create_kiosk_job(session, appt=appt, api_key_id=None, now=NOW,
                                   settings=settings)
            session.commit()
            label = job.labels[0]
            specimen_id = label.specimen_id
            reprint_specimen(session=session, specimen_id_text=specimen_id,
                             site_id=sites[0].id, actor=Actor(None, "pat", "Pat"),
                             reason="damaged", now=NOW, settings=settings)
            # The demo's print worker (phlebo print-worker) sends it: one round of it here.
            sent = run_due_jobs(session=session, clock=lambda: NOW, settings=settings)
        assert [s.status for s in sent] == ["printed"], sent
    finally:
        printer.stop()
    [png] = sorted((tmp_path / "labels").glob("*.png"))
    image = Image.open(png)
    assert [r.text for r in zxingcpp.read_barcodes(image)] == [specimen_id]
    assert same_dots(image, dataclasses.replace(label, reprint=True))  # the label, marked REPRINT
    assert ink_outside_margin(image, LabelSize()) is None
