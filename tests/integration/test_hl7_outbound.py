"""HL7 messages out on SQLite and PostgreSQL: an ICE order comes in over MLLP, is booked,
checked in and collected; the laboratory (a test MLLP server here, reading with hl7apy, strict
v2.5.1) gets one OML^O21 whose SPM-2 ids are the tubes' specimen ids, and the requester's
system gets each status change. The laboratory down, then up: every message delivered exactly
once, in order per request, and its ACK recorded."""

from __future__ import annotations

import dataclasses
import datetime as dt
import socket
import threading
from collections.abc import Iterator

import pytest
from hl7apy.consts import VALIDATION_LEVEL
from hl7apy.parser import parse_message
from sqlmodel import select

from booking_web.notify import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.services import booking, checkin, staff_queue
from booking_web.services.catalogue import seed_catalogue
from booking_web.services.staff_audit import Actor
from shared.config import Settings
from shared.models import LabRequest, OrganisationTestCode, OutboxMessage, Specimen
from shared.specimen import is_valid_specimen_id
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_organisation, make_patient, make_site, slots_of
from tests.integration.hl7_helpers import TIMEOUT, example, listener, send

TODAY = dt.date(2026, 11, 23)
AT_NINE = dt.datetime(2026, 11, 23, 8, 55, tzinfo=dt.UTC)


class FakeLab:
    """An MLLP endpoint on loopback that answers each message AA (or `answer`) and keeps it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen()
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.received: list[str] = []
        self.answer = "AA"
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        while not self.stopping.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            with conn:
                conn.settimeout(TIMEOUT)
                data = b""
                while not data.endswith(b"\x1c\x0d"):
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                text = data[1:-2].decode()
                control = text.split("\r")[0].split("|")[9]
                self.received.append(text)
                ack = (f"MSH|^~\\&|LIMS|LAB|PHLEBO|PHLEBOTOMY|20261123090000||ACK^O21^ACK|L{len(self.received)}|P|2.5.1\r"
                       f"MSA|{self.answer}|{control}\r")
                conn.sendall(b"\x0b" + ack.encode() + b"\x1c\x0d")

    def close(self) -> None:
        """Stop answering (and listening)."""
        self.stopping.set()
        self.thread.join(TIMEOUT)
        self.sock.close()


@pytest.fixture
def lab() -> Iterator[FakeLab]:
    server = FakeLab()
    yield server
    server.close()


def strict(text: str):  # type: ignore[no-untyped-def]
    """The message parsed and checked against the v2.5.1 structure by hl7apy."""
    return parse_message(text, validation_level=VALIDATION_LEVEL.STRICT, find_groups=True)


def _order_and_collect(engine, settings, session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    org = make_organisation(session)
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="U&E", test_code="UE"))
    session.commit()
    order = example("ice_oml_o21.hl7").replace(b"|20261130|20261206|", b"|20261123|20261206|")
    with listener(engine, settings) as port:
        assert "MSA|AA" in send(port, order)
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(9), end=dt.time(10))
    patient = make_patient(0, nhs_number="9990042438", given_name="Margaret", family_name="O'Brien",
                           date_of_birth=dt.date(1948, 3, 4))
    appt = booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="fasting",
                                    patient=patient, now=NOW,
                                    settings=dataclasses.replace(settings, min_notice_minutes=0)).appointment
    from booking_web.services.accounts import create_api_key, key_for_token
    from shared.models import KeyKind

    token = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    checkin.check_in(session=session, site_id=site.id, api_key_id=key_for_token(session=session, token=token).id,
                     reference=appt.reference, date_of_birth=dt.date(1948, 3, 4),
                     request_id="6f1c2f7e-2b7a-4b8e-9a59-6f7d3b0c1d2e", now=AT_NINE, settings=settings)
    # A laboratory is configured (the tests say where when they send).
    staff_queue.mark_collected(session=session, appointment_id=appt.id, site_id=site.id,
                               actor=Actor(None, "pat", "Pat Phlebotomist"), now=AT_NINE + dt.timedelta(minutes=7),
                               settings=dataclasses.replace(settings, lims_mllp="127.0.0.1:2575"))
    return appt


def test_the_lab_gets_one_oml_o21_with_an_spm_per_tube_and_the_requester_each_status(engine, settings, session, lab):
    # The specimen numbers agreed with this laboratory start at 700,000,000.
    settings = dataclasses.replace(settings, specimen_range=(700_000_000, 799_999_999))
    appt = _order_and_collect(engine, settings, session)
    wired = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{lab.port}", order_status_mllp=f"127.0.0.1:{lab.port}")
    for _ in range(3):  # the next message about a request goes once the one before it is delivered
        report = send_due_messages(engine=engine, settings=wired, sender=make_sender(wired),
                                   now=AT_NINE + dt.timedelta(minutes=8))
        assert report.failed == 0
    to_lab = [m for m in lab.received if "|LIMS|" in m.split("\r")[0]]
    to_gp = [m for m in lab.received if "|ORDERCOMMS|" in m.split("\r")[0]]
    assert len(to_lab) == 1
    message = strict(to_lab[0])
    assert message.msh.msh_9.to_er7() == "OML^O21^OML_O21"
    specimens = session.exec(select(Specimen).where(Specimen.appointment_id == appt.id, Specimen.tests != "")
                             .order_by(Specimen.position)).all()
    assert all(t.specimen_id.startswith("70000000") and is_valid_specimen_id(t.specimen_id) for t in specimens)
    spms = [s for s in to_lab[0].split("\r") if s.startswith("SPM|")]
    assert sorted(s.split("|")[2] for s in spms) == sorted(t.specimen_id for t in specimens)
    assert all(s.split("|")[17].startswith("20261123090200") for s in spms)  # collected 09:02 UTC
    assert {s.split("|")[4].split("^")[0] for s in spms} == {"BLD", "SER", "PLAS"}
    orcs = [s for s in to_lab[0].split("\r") if s.startswith("ORC|")]
    assert orcs and all(o.split("|")[2] == "ICE0001234^B86001" for o in orcs)  # the placer's number, their namespace
    obrs = [s for s in to_lab[0].split("\r") if s.startswith("OBR|")]
    assert [o.split("|")[4] for o in obrs] == ["FBC", "UE", "GLU"] and all("Pat Phlebotomist" in o for o in obrs)
    statuses = [[s.split("|")[5] for s in m.split("\r") if s.startswith("ORC|")][0] for m in to_gp]
    assert statuses == ["SC", "IP"]  # booked, then collected (checked in is not told)
    for m in to_gp:
        strict(m)
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "hl7").order_by(OutboxMessage.id)).all()
    assert {m.status for m in sent} == {"sent"} and all(m.provider_id.startswith("AA ") for m in sent)



def test_the_admin_outbox_page_shows_hl7_messages_with_their_ack(app, engine, settings, session, lab):
    from tests.factories import make_staff
    from tests.integration.test_staff import sign_in

    _order_and_collect(engine, settings, session)
    wired = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{lab.port}", order_status_mllp="")
    send_due_messages(engine=engine, settings=wired, sender=make_sender(wired), now=AT_NINE + dt.timedelta(minutes=8))
    make_staff(session, role="admin", username="ada")
    client = app.test_client()
    sign_in(client, "ada")
    page = client.get("/staff/outbox/").get_data(as_text=True)
    control = lab.received[0].split("\r")[0].split("|")[9]
    assert "hl7_collected (hl7)" in page and "the laboratory" in page and f"ACK AA {control}" in page
    # Without an endpoint for status messages they fail, saying which setting is missing.
    assert "PHLEBO_ORDER_STATUS_MLLP is not set" in page and "the requester&#39;s order comms" in page


def test_with_the_lab_down_messages_wait_then_go_once_in_order(engine, settings, session):
    _order_and_collect(engine, settings, session)
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        down_port = probe.getsockname()[1]
    down = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{down_port}", order_status_mllp=f"127.0.0.1:{down_port}",
                               hl7_timeout_seconds=2)
    later = AT_NINE + dt.timedelta(minutes=8)
    send_due_messages(engine=engine, settings=down, sender=make_sender(down), now=later)
    # The first message to each place was tried and waits to be tried again; the later one to the
    # requester was not tried: it waits behind the first.
    session.expire_all()
    hl7_rows = session.exec(select(OutboxMessage).where(OutboxMessage.channel == "hl7").order_by(OutboxMessage.id)).all()
    assert [(m.template, m.status, m.attempts) for m in hl7_rows] == [
        ("hl7_booked", "pending", 1), ("hl7_collected", "pending", 1), ("hl7_collected", "pending", 0)]
    assert "PHLEBO_LIMS_MLLP" in hl7_rows[1].last_error and "ConnectionRefusedError" in hl7_rows[1].last_error
    lab = FakeLab()
    try:
        up = dataclasses.replace(down, lims_mllp=f"127.0.0.1:{lab.port}", order_status_mllp=f"127.0.0.1:{lab.port}")
        for minutes in range(1, 30):
            send_due_messages(engine=engine, settings=up, sender=make_sender(up), now=later + dt.timedelta(minutes=minutes))
    finally:
        lab.close()
    controls = [m.split("\r")[0].split("|")[9] for m in lab.received]
    assert len(controls) == len(set(controls)) == 3  # booked and collected to the GP, collected to the lab
    to_gp = [[s.split("|")[5] for s in m.split("\r") if s.startswith("ORC|")][0] for m in lab.received
             if "|ORDERCOMMS|" in m.split("\r")[0]]
    assert to_gp == ["SC", "IP"]
    session.expire_all()
    assert {m.status for m in session.exec(select(OutboxMessage).where(OutboxMessage.channel == "hl7"))} == {"sent"}
    assert session.exec(select(LabRequest)).one().status == "collected"


def test_specimen_numbers_stop_at_the_end_of_the_agreed_range(session):
    from booking_web.services.specimens import add_specimens
    from shared.errors import RuleViolation

    site = make_site(session)
    clinic = make_clinic(session, site=site, day=TODAY, start=dt.time(9), end=dt.time(10))
    patient = make_patient(1)
    appt = booking.book_appointment(session=session, slot_id=slots_of(session, clinic)[0].id, type_code="adult",
                                    patient=patient, now=NOW, settings=Settings.from_env({}, secret_key="x",
                                                                                         min_notice_minutes=0)
                                    ).appointment
    rows = add_specimens(session, appt, [("EDTA", ("FBC",))], now=NOW, serial_range=(123_000_000, 123_000_000))
    assert rows[0].specimen_id is not None and rows[0].specimen_id.startswith("123000000")
    with pytest.raises(RuleViolation, match="specimen_range_used"):
        add_specimens(session, appt, [("EDTA", ("FBC",))], now=NOW, serial_range=(123_000_000, 123_000_000))
    session.rollback()


def test_the_demos_simulated_laboratory_keeps_each_message_and_answers_aa(tmp_path):
    from booking_web.hl7 import mllp
    from hardware_sim.lims import SimLims

    lims = SimLims(tmp_path / "lims").start()
    try:
        message = "MSH|^~\\&|PHLEBO|PHLEBOTOMY|LIMS|LAB|20261123||OML^O21^OML_O21|X1|P|2.5.1\rPID|1||9990042438^^^NHS^NH\r"
        answer = mllp.send_message("127.0.0.1", lims.port, message.encode(), timeout=TIMEOUT).decode()
    finally:
        lims.stop()
    assert "MSA|AA|X1" in answer
    [kept] = list((tmp_path / "lims").glob("*.hl7"))
    assert kept.name == "000001-OML_O21_OML_O21.hl7" and kept.read_text().splitlines()[1].startswith("PID|1||999")
