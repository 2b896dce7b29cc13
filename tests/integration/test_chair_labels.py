"""Labels at the chair on SQLite and PostgreSQL: the kiosk checks in and prints nothing; the
phlebotomist confirms identity (QR or date of birth) at a chair; the print worker sends the
labels, with collection time and collector, to that chair's printer (ESC/POS and ZPL over TCP to
the simulator); faults mid-job, recovery, two workers, a worker dying mid-job: every label on
paper once, or marked REPRINT."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlmodel import Session, select

from booking_web.messages import words
from booking_web.services import chair_labels, chairs, print_queue, reprints
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.chair_labels import Identity
from booking_web.services.lab_requests import create_request
from booking_web.services.qr import make_qr_payload
from booking_web.services.specimens import label_data
from booking_web.services.staff_audit import Actor
from hardware_sim import SimPrinterServer, VirtualPrinter
from hardware_sim.printer import Language
from label_printer import LabelSize, layout_label
from shared.errors import RuleViolation, ValidationFailed
from shared.models import Appointment, PrintJob, PrintJobLabel, Specimen, StaffAudit
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_patient
from tests.integration.test_checkin import DAY, at, book, checkin, kiosk_key
from tests.label_images import same_dots

ADMIN = Actor(None, "admin", "Site Admin")
AMIRA = Actor(None, "apatel", "Amira Patel")
TESTS = ["FBC", "UE", "GS"]  # EDTA, serum gel, and group and save (a transfusion sample)


@pytest.fixture(params=["escpos", "zpl"])
def chair_printer(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SimPrinterServer]:
    language: Language = request.param
    with SimPrinterServer(VirtualPrinter(tmp_path / "chair2", language=language,
                                         width_dots=576)) as server:
        yield server


@pytest.fixture
def world(session, settings, app, client, chair_printer):  # type: ignore[no-untyped-def]
    """Today's clinic at a site printing at the chair (Chair 1, Chair 2 = the simulator), one
    patient with FBC, UE and group and save, checked in at the kiosk."""
    clinic = make_clinic(session, day=DAY)
    site_id = clinic.site_id
    chairs.save_chair(session=session, site_id=site_id, chair_id=None, name="Chair 1",
                      printer_uri="tcp://127.0.0.1:9", actor=SETUP, now=NOW)
    chair = chairs.save_chair(session=session, site_id=site_id, chair_id=None, name="Chair 2",
                              printer_uri=chair_printer.uri, actor=SETUP, now=NOW)
    chairs.save_site_printing(session=session, site_id=site_id, actor=ADMIN, now=NOW,
                              form=chairs.PrintingForm("chair"))
    seed_catalogue(session=session)
    lab = create_request(session=session, nhs_number=make_patient(0).nhs_number, tests=TESTS,
                         requester="Dr Example", api_key_id=None, now=NOW)
    appt = book(session, settings, clinic, request_number=lab.request_number)
    at(app, 9, 0)
    answer = checkin(client, kiosk_key(session, chairs.get_site(session=session, site_id=site_id)),
                     appt.reference)
    assert answer.status_code == 200, answer.json
    return dict(site_id=site_id, chair=chair, appt=appt, answer=answer.json,
                printer=chair_printer.printer)


def identify(session, settings, world, when=NOW, **identity):  # type: ignore[no-untyped-def]
    return chair_labels.confirm_at_chair(
        session=session, appointment_id=world["appt"].id, site_id=world["site_id"],
        chair_id=world["chair"].id, identity=Identity(**identity), actor=AMIRA, now=when,
        settings=settings)


def work(session, settings, when=NOW):  # type: ignore[no-untyped-def]
    return print_queue.run_due_jobs(session=session, clock=lambda: when, settings=settings)


def on_paper(printer: VirtualPrinter) -> list[dict[str, object]]:
    printer.wait_idle()
    out = []
    for path in sorted(printer.out_dir.glob("*.png")):
        meta = json.loads(path.with_suffix(".json").read_text())
        meta["id"] = [r.text for r in zxingcpp.read_barcodes(Image.open(path))]
        meta["path"] = path
        out.append(meta)
    return out


def texts(label: dict[str, object]) -> str:
    """What a printed label says, as the simulator read it (ZPL) or as the server's label
    whose dots it is exactly (ESC/POS prints our raster)."""
    if label["language"] == "zpl":
        return " | ".join(label["texts"])  # type: ignore[arg-type]
    with Session(ENGINE[0]) as session:
        [specimen] = session.exec(select(Specimen).where(Specimen.specimen_id == label["id"][0]))
        for reprint in (False, True):
            data = label_data(session, specimen, reprint=reprint)
            if same_dots(Image.open(label["path"]), data, LabelSize()):  # type: ignore[arg-type]
                return " | ".join(e.text for e in layout_label(data).texts)
    raise AssertionError(f"{label['path']} is not a label of specimen {label['id']}")


ENGINE: list = []  # the test's engine, for texts()


@pytest.fixture(autouse=True)
def _engine(engine):  # type: ignore[no-untyped-def]
    ENGINE[:] = [engine]


def test_the_kiosk_checks_in_and_prints_nothing(session, world):
    answer = world["answer"]
    assert answer["queue_number"] == 1 and answer["labels"] == [] and answer["hand_label"] == []
    assert answer["print_job"]["id"] is None
    assert session.exec(select(Specimen)).all() == []  # no tube exists before the chair


def test_labels_print_at_the_chair_after_the_qr_code_is_scanned(session, settings, world):
    appt = session.get(Appointment, world["appt"].id)
    qr = make_qr_payload(secret=settings.secret_key, appointment=appt)
    done = identify(session, settings, world, qr=qr)
    assert done.method == "qr" and done.identified_by == "Amira Patel"
    sent = work(session, settings)
    assert [s.status for s in sent] == ["printed"]
    specimens = session.exec(select(Specimen).order_by(Specimen.position)).all()
    labels = on_paper(world["printer"])
    assert [label["id"] for label in labels] == [[s.specimen_id] for s in specimens]
    # Group and save stays hand-labelled: the lab has not approved printed transfusion labels.
    assert [s.transfusion for s in specimens] == [False, False]
    for label in labels:
        assert "Taken 23-Nov-2026 08:00 By Amira Patel" in texts(label)  # NOW is 08:00 London
        assert "TRANSFUSION" not in texts(label) and "REPRINT" not in texts(label)
    chair = chairs.get_chair(session=session, chair_id=world["chair"].id, site_id=None)
    assert chair.printer_state == "ok"


def test_a_wrong_date_of_birth_prints_nothing_and_is_audited(session, settings, world):
    with pytest.raises(ValidationFailed) as refused:
        identify(session, settings, world, date_of_birth=dt.date(1970, 5, 18))
    assert refused.value.fields["dob-day"].code == "chair_dob_mismatch_check"
    assert work(session, settings) == [] and on_paper(world["printer"]) == []
    assert session.exec(select(Specimen)).all() == []
    assert [a.action for a in session.exec(select(StaffAudit))][-1] == "identify failed"
    done = identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    assert done.method == "dob"


def test_another_bookings_qr_code_is_refused(session, settings, world, client):
    other = Appointment(**{**world["appt"].model_dump(), "id": None, "reference": "ABC-DEF-GHJ"})
    qr = make_qr_payload(secret=settings.secret_key, appointment=other)
    with pytest.raises(ValidationFailed) as other_booking:
        identify(session, settings, world, qr=qr)
    assert other_booking.value.fields["qr"].code == "chair_qr_other_booking_check"
    with pytest.raises(ValidationFailed) as unreadable:
        identify(session, settings, world, qr="PHLEBO1.forged")
    assert unreadable.value.fields["qr"].code == "chair_qr_not_ours"


def test_confirming_twice_queues_the_labels_once(session, settings, world):
    first = identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    again = identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    assert again.print_job_id == first.print_job_id
    assert len(session.exec(select(PrintJob)).all()) == 1
    work(session, settings)
    assert len(on_paper(world["printer"])) == 2


def test_approved_transfusion_labels_print_at_the_chair_and_say_transfusion(session, settings,
                                                                            world):
    chairs.save_site_printing(session=session, site_id=world["site_id"], actor=ADMIN, now=NOW,
                              form=chairs.PrintingForm("chair", True, "Dr Ruth Lab, transfusion"))
    policy = chairs.site_printing(session=session, site_id=world["site_id"])
    assert (policy.transfusion_approved_by, policy.transfusion_recorded_by) == (
        "Dr Ruth Lab, transfusion", "Site Admin") and policy.transfusion_recorded_at == NOW
    identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    work(session, settings)
    labels = on_paper(world["printer"])
    assert len(labels) == 3
    marked = [label for label in labels if "TRANSFUSION" in texts(label)]
    assert len(marked) == 1 and "Taken 23-Nov-2026 08:00 By Amira Patel" in texts(marked[0])


def test_transfusion_labels_need_chair_mode_and_a_named_approver(session, world):
    with pytest.raises(ValidationFailed) as no_name:
        chairs.save_site_printing(session=session, site_id=world["site_id"], actor=ADMIN,
                                  now=NOW, form=chairs.PrintingForm("chair", True, " "))
    assert "transfusion_approved_by" in no_name.value.fields
    with pytest.raises(ValidationFailed) as at_checkin:
        chairs.save_site_printing(session=session, site_id=world["site_id"], actor=ADMIN,
                                  now=NOW, form=chairs.PrintingForm("checkin", True, "Dr Lab"))
    assert "transfusion_labels" in at_checkin.value.fields


def test_paper_out_mid_job_is_shown_and_the_rest_print_once_after_recovery(session, settings,
                                                                         world):
    printer = world["printer"]
    printer.set_paper_out(after=1)
    identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    [first] = work(session, settings)
    assert first.status == "partial" and first.printer_state == "fault"
    faults = chair_labels.chair_faults(session=session, site_id=world["site_id"], now=NOW)
    assert [(f.chair_name, f.waiting) for f in faults] == [("Chair 2", 1)]
    assert "paper out" in faults[0].detail
    later = NOW + dt.timedelta(seconds=1)
    assert work(session, settings, later) == []  # not due again yet
    printer.load_paper()
    retry_at = NOW + dt.timedelta(seconds=settings.print_retry_seconds)
    assert [s.status for s in work(session, settings, retry_at)] == ["printed"]
    ids = [s.specimen_id for s in session.exec(select(Specimen).order_by(Specimen.position))]
    labels = on_paper(printer)
    assert Counter(label["id"][0] for label in labels) == Counter(ids)  # each once on paper
    assert chair_labels.chair_faults(session=session, site_id=world["site_id"], now=NOW) == []


def test_a_reprint_prints_at_the_chair_and_never_while_the_label_still_waits(session, settings,
                                                                            world):
    printer = world["printer"]
    printer.set_paper_out(after=1)
    identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    work(session, settings)
    ids = [s.specimen_id for s in session.exec(select(Specimen).order_by(Specimen.position))]
    # The second label waits for a new roll: reprinting it now would put it on paper twice.
    with pytest.raises(RuleViolation) as waiting:
        reprints.reprint_specimen(session=session, specimen_id_text=ids[1], site_id=None,
                                  actor=AMIRA, reason="not_printed", now=NOW, settings=settings)
    assert waiting.value.code == "label_waiting" and "Chair 2 printer" in words(waiting.value)
    printer.load_paper()
    retry_at = NOW + dt.timedelta(seconds=settings.print_retry_seconds)
    assert [s.status for s in work(session, settings, retry_at)] == ["printed"]
    # A smudged first label is reprinted where the patient sits: Chair 2, by the print worker.
    result = reprints.reprint_specimen(session=session, specimen_id_text=ids[0], site_id=None,
                                       actor=AMIRA, reason="damaged", now=retry_at,
                                       settings=settings, seen=0)
    assert result.printer == "Chair 2" and result.job.chair_id == world["chair"].id
    assert len(on_paper(printer)) == len(ids)  # nothing printed inside the request
    assert [s.status for s in work(session, settings, retry_at)] == ["printed"]
    labels = on_paper(printer)
    assert labels[-1]["id"] == [ids[0]] and "REPRINT" in texts(labels[-1])
    assert Counter(label["id"][0] for label in labels) == Counter(ids + [ids[0]])


def test_two_workers_send_each_job_once(session, settings, world, engine):
    identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    world["printer"].set_slow(0.2)
    results: list[int] = []

    def worker() -> None:
        with Session(engine, expire_on_commit=False) as own:
            results.append(len(work(own, settings)))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == [0, 1]
    assert len(on_paper(world["printer"])) == 2


def test_a_worker_dying_mid_job_leaves_the_label_unconfirmed_and_it_reprints_marked(
        session, settings, world):
    identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))
    job = print_queue.claim_job(session=session, now=NOW)
    assert job is not None and print_queue.claim_job(session=session, now=NOW) is None

    class Died(Exception):
        pass

    def dies_after_first_label(uri, settings):  # type: ignore[no-untyped-def]
        real = print_queue._open(uri, settings)

        class Printer:
            def print_labels(self, labels, observer):  # type: ignore[no-untyped-def]
                class Journal:
                    def sending(self, label):  # type: ignore[no-untyped-def]
                        observer.sending(label)
                        if label == labels[1]:  # the second label is journalled, then the
                            raise Died()  # worker dies

                    def settled(self, label, state):  # type: ignore[no-untyped-def]
                        observer.settled(label, state)
                return real.print_labels(labels, observer=Journal())
        return Printer()

    with pytest.raises(Died):
        print_queue.send_job(session=session, job=job, clock=lambda: NOW, settings=settings,
                             open_printer=dies_after_first_label)
    session.rollback()
    outcomes = [r.outcome for r in session.exec(select(PrintJobLabel)
                                                .order_by(PrintJobLabel.position))]
    assert outcomes == ["confirmed", "unconfirmed"]
    after_lease = NOW + print_queue.LEASE + dt.timedelta(seconds=1)
    assert [s.status for s in work(session, settings, after_lease)] == ["printed"]
    labels = on_paper(world["printer"])
    assert len(labels) == 2 and "REPRINT" in texts(labels[1])  # may be its second copy: marked


def test_checkin_mode_sites_cannot_confirm_at_the_chair(session, settings, world):
    chairs.save_site_printing(session=session, site_id=world["site_id"], actor=ADMIN, now=NOW,
                              form=chairs.PrintingForm("checkin"))
    with pytest.raises(RuleViolation):
        identify(session, settings, world, date_of_birth=dt.date(1970, 5, 17))


def test_chairs_need_a_name_and_a_printer_address(session, world):
    with pytest.raises(ValidationFailed) as bad:
        chairs.save_chair(session=session, site_id=world["site_id"], chair_id=None,
                          name="chair 2", printer_uri="ftp://printer", actor=SETUP, now=NOW)
    assert set(bad.value.fields) == {"name", "printer_uri"}
