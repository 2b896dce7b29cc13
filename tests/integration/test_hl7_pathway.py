"""The whole HL7 pathway on SQLite and PostgreSQL, each part real: python-hl7's MLLP client
sends the ICE-style OML^O21 to the listener -> ACK AA -> the invitation is in the outbox -> the
patient books through the link's pages -> the kiosk's own client (over WSGI) checks in and
prints to the simulated printer over TCP -> a phlebotomist signs in and records the tubes
collected on the today page (the real form) -> a test laboratory on loopback receives
the OML^O21 whose SPM-2 ids equal the barcodes decoded from the label PNGs, and Phlebo records
its ACK."""

from __future__ import annotations

import dataclasses
import datetime as dt

import httpx
import zxingcpp
from PIL import Image
from sqlmodel import select

from booking_web.notify import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from hardware_sim import SimPrinterServer, VirtualPrinter
from kiosk_app.api_client import KioskApi
from kiosk_app.effects import Services
from kiosk_app.headless import OK, run_checkin
from kiosk_app.printing import printer_factory
from shared.models import Appointment, KeyKind, LabRequest, OrganisationTestCode, OutboxMessage
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_organisation, make_site
from tests.integration.hl7_helpers import collect_on_today_page, example, listener, read_ack, send
from tests.integration.public_pages import get, submit
from tests.integration.test_hl7_outbound import FakeLab, strict

THURSDAY = dt.date(2026, 11, 26)
AT_CLINIC = dt.datetime(2026, 11, 26, 8, 50, tzinfo=dt.UTC)  # 8:50am London, for the 9:00am booking


def test_an_ice_order_ends_as_the_labs_oml_o21_with_the_printed_barcodes(engine, settings, session, app, client,
                                                                           tmp_path):
    seed_catalogue(session=session)
    org = make_organisation(session)
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="U&E", test_code="UE"))
    session.commit()
    site = make_site(session, name="Northgate Health Centre", postcode="LS7 3AB")
    make_clinic(session, site=site, day=THURSDAY, start=dt.time(8, 0), end=dt.time(12, 0), slot_minutes=30)
    order = example("ice_oml_o21.hl7").replace(b"|20261130|20261206|", b"|20261125|20261126|")
    with listener(engine, settings) as port:
        ack = read_ack(send(port, order))
    assert ack.msa.msa_1.to_er7() == "AA"

    invite = session.exec(select(OutboxMessage).where(OutboxMessage.template == "invite",
                                                      OutboxMessage.channel == "sms")).one()
    link = "/r/" + invite.personalisation["invite_url"].rsplit("/r/", 1)[1]
    assert client.get(link).status_code == 302
    assert submit(client, "/book/invitation/date-of-birth",
                  {"dob-day": "4", "dob-month": "3", "dob-year": "1948"}).status_code == 302
    assert submit(client, "/book/invitation/postcode", {"postcode": "LS7 3AB"}).status_code == 302
    places = get(client, "/book/invitation/place")
    assert submit(client, "/book/invitation/place",
                  {"site_id": places.radio_value("site_id", "Northgate")}).status_code == 302
    assert submit(client, "/book/invitation/date", {"date": THURSDAY.isoformat()}).status_code == 302
    times = get(client, "/book/invitation/time")
    assert submit(client, "/book/invitation/time",
                  {"slot_id": times.radio_value("slot_id", "9:00am")}).status_code == 302
    check = get(client, "/book/invitation/check")
    assert submit(client, "/book/invitation/check", page=check).status_code == 302
    appt = session.exec(select(Appointment)).one()

    app.extensions["phlebo"].clock = lambda: AT_CLINIC
    kiosk_key = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    printer = VirtualPrinter(tmp_path / "labels")
    with SimPrinterServer(printer) as sim:
        kiosk = Services(api=KioskApi("http://phlebo.test", kiosk_key, transport=httpx.WSGITransport(app=app)),
                         printer=printer_factory(sim.uri, timeout=2.0))
        lines: list[str] = []
        code = run_checkin(kiosk, reference=appt.reference, date_of_birth=dt.date(1948, 3, 4), out=lines.append,
                           today=lambda: THURSDAY)
        kiosk.api.close()
    assert code == OK and "Labels printed (3)" in lines[-1], lines
    barcodes = sorted(zxingcpp.read_barcodes(Image.open(p))[0].text for p in printer.out_dir.glob("*.png"))
    assert len(barcodes) == 3  # EDTA, serum gel, fluoride oxalate

    session.expire_all()  # checked in through the kiosk's own requests
    lab = FakeLab()
    try:
        wired = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{lab.port}")
        app.extensions["phlebo"].settings = dataclasses.replace(app.extensions["phlebo"].settings,
                                                                lims_mllp=wired.lims_mllp)
        app.extensions["phlebo"].clock = lambda: AT_CLINIC + dt.timedelta(minutes=12)
        today = collect_on_today_page(app, session, site_id=site.id, appointment_id=appt.id)
        assert "Collected 09:02 by Pat Phlebotomist" in today
        for minutes in range(13, 16):
            send_due_messages(engine=engine, settings=wired, sender=make_sender(wired),
                              now=AT_CLINIC + dt.timedelta(minutes=minutes))
    finally:
        lab.close()
    [to_lab] = [m for m in lab.received if "|LIMS|" in m.split("\r")[0]]
    strict(to_lab)
    assert all("Pat Phlebotomist" in s.split("|")[10] for s in to_lab.split("\r") if s.startswith("OBR|"))
    assert all(s.split("|")[17].startswith("20261126090200") for s in to_lab.split("\r") if s.startswith("SPM|"))
    assert sorted(s.split("|")[2] for s in to_lab.split("\r") if s.startswith("SPM|")) == barcodes
    session.expire_all()
    sent = session.exec(select(OutboxMessage).where(OutboxMessage.recipient == "lims")).one()
    control = to_lab.split("\r")[0].split("|")[9]
    assert sent.status == "sent" and sent.provider_id == f"AA {control}"
    assert session.exec(select(LabRequest)).one().status == "collected"
