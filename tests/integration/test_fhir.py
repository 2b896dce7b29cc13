"""FHIR R4 at /fhir/R4 on SQLite and PostgreSQL: every resource returned parses with
fhir.resources (R4B models, an independent library); the example resources in tests/data/fhir
create requests through the request services; the pathway ServiceRequest -> Slot ->
Appointment -> the kiosk's check-in printing to the simulated printer -> collection -> a
Specimen per tube whose identifier is the barcode decoded from its label; errors are
OperationOutcomes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from pathlib import Path

import httpx
import pytest
import zxingcpp
from fhir.resources.R4B import get_fhir_model_class
from PIL import Image
from sqlalchemy import func
from sqlmodel import select

from booking_web.notify import send_due_messages
from booking_web.notify.senders import make_sender
from booking_web.reports.figures import build_report
from booking_web.reports.scope import ReportScope
from booking_web.services.accounts import create_api_key
from booking_web.services.catalogue import seed_catalogue
from hardware_sim import SimPrinterServer, VirtualPrinter
from kiosk_app.api_client import KioskApi
from kiosk_app.effects import Services
from kiosk_app.headless import OK, run_checkin
from kiosk_app.printing import printer_factory
from shared.models import Appointment, KeyKind, LabRequest, OrganisationTestCode
from tests.conftest import NOW
from tests.factories import SETUP, make_clinic, make_organisation, make_partner_key, make_site, slots_of
from tests.integration.hl7_helpers import collect_on_today_page
from tests.integration.test_hl7_outbound import FakeLab, strict

DATA = Path(__file__).resolve().parents[1] / "data" / "fhir"
FHIR = "application/fhir+json"


def example(name: str) -> dict:  # type: ignore[type-arg]
    """An example resource from tests/data/fhir."""
    return json.loads((DATA / name).read_text())


def parsed(resp):  # type: ignore[no-untyped-def]
    """The response's resource, parsed by fhir.resources (raises if it is not valid)."""
    assert resp.mimetype == FHIR, resp.data[:200]
    data = resp.get_json(force=True)
    model = get_fhir_model_class(data["resourceType"]).model_validate(data)
    if data["resourceType"] == "Bundle":
        for entry in data.get("entry", []):
            if "resource" in entry:
                get_fhir_model_class(entry["resource"]["resourceType"]).model_validate(entry["resource"])
    return data, model


@pytest.fixture
def partner(session, app):  # type: ignore[no-untyped-def]
    app.extensions["phlebo"].settings = dataclasses.replace(app.extensions["phlebo"].settings, min_notice_minutes=0)
    seed_catalogue(session=session)
    org = make_organisation(session)
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="U&E", test_code="UE"))
    session.commit()
    return {"Authorization": f"Bearer {make_partner_key(session)}"}


def post(client, path, body, headers):  # type: ignore[no-untyped-def]
    return client.post(f"/fhir/R4/{path}", data=json.dumps(body), headers={**headers, "Content-Type": FHIR})


def test_the_capability_statement_lists_what_is_served(client, app):
    data, _model = parsed(client.get("/fhir/R4/metadata"))
    served = {(r["type"], i["code"]) for r in data["rest"][0]["resource"] for i in r["interaction"]}
    routes = {rule.rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/fhir/R4/")}
    for kind, interaction in served:
        wanted = f"/fhir/R4/{kind}/<" if interaction == "read" else f"/fhir/R4/{kind}"
        assert any(r.startswith(wanted) for r in routes), (kind, interaction)
    assert {r.split("/")[3] for r in routes} - {"metadata", ""} == {t for t, _ in served}


def test_a_service_request_makes_a_request_and_reads_back(client, session, partner):
    resp = post(client, "ServiceRequest", example("service-request.json"), partner)
    assert resp.status_code == 201, resp.data
    data, _ = parsed(resp)
    assert data["status"] == "active" and data["meta"]["profile"] == [
        "https://fhir.hl7.org.uk/StructureDefinition/UKCore-ServiceRequest"]
    assert [c["code"] for c in data["code"]["coding"]] == ["FBC", "UE", "GLU"]  # U&E through the code map
    assert data["subject"]["identifier"] == {"system": "https://fhir.nhs.uk/Id/nhs-number", "value": "9990042438"}
    req = session.exec(select(LabRequest)).one()
    assert (req.source, req.placer_number, req.status) == ("fhir", "FHIR-0001234", "invited")
    again = post(client, "ServiceRequest", example("service-request.json"), partner)
    assert again.status_code == 200 and parsed(again)[0]["id"] == data["id"]  # the same placer number
    read, _ = parsed(client.get(f"/fhir/R4/ServiceRequest/{data['id']}", headers=partner))
    assert read == data
    found, _ = parsed(client.get("/fhir/R4/ServiceRequest?requester=B86001&status=active", headers=partner))
    assert [e["resource"]["id"] for e in found["entry"]] == [data["id"]]
    none, _ = parsed(client.get("/fhir/R4/ServiceRequest?status=completed", headers=partner))
    assert none["total"] == 0


def test_a_transaction_bundle_makes_the_patient_and_the_request(client, session, partner):
    resp = post(client, "", example("transaction-bundle.json"), partner)
    assert resp.status_code == 200, resp.data
    data, _ = parsed(resp)
    assert data["type"] == "transaction-response" and data["entry"][1]["response"]["status"] == "201 Created"
    req = session.exec(select(LabRequest)).one()
    assert (req.urgency, req.placer_number, req.nhs_number) == ("urgent", "FHIR-0009876", "9990010013")


def test_the_pathway_through_fhir_ends_with_a_specimen_per_tube(client, app, engine, session, partner, tmp_path):
    number = parsed(post(client, "ServiceRequest", example("service-request.json"), partner))[0]["id"]
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=dt.date(2026, 11, 23), start=dt.time(9), end=dt.time(10))
    found, _ = parsed(client.get(f"/fhir/R4/Slot?schedule.actor=Location/{site.id}&start=ge2026-11-23"
                                 "&start=lt2026-11-24&status=free&service-type=fasting", headers=partner))
    assert found["total"] == len(slots_of(session, clinic))
    first = found["entry"][0]["resource"]["id"]
    booking = {"resourceType": "Appointment", "status": "booked", "slot": [{"reference": f"Slot/{first}"}],
               "basedOn": [{"reference": f"ServiceRequest/{number}"}],
               "participant": [{"actor": {"reference": f"Location/{site.id}"}, "status": "accepted"}]}
    resp = post(client, "Appointment", booking, partner)
    assert resp.status_code == 201, resp.data
    appt_res, _ = parsed(resp)
    assert appt_res["basedOn"] == [{"reference": f"ServiceRequest/{number}"}]
    read, _ = parsed(client.get(f"/fhir/R4/Appointment/{appt_res['id']}", headers=partner))
    assert read["status"] == "booked" and "end" in read
    sr, _ = parsed(client.get(f"/fhir/R4/ServiceRequest/{number}", headers=partner))
    assert sr["extension"][0]["valueReference"]["reference"] == f"Appointment/{appt_res['id']}"
    appt = session.exec(select(Appointment)).one()
    # Counted in the reports as a FHIR booking.
    assert appt.channel == "fhir"
    made = build_report(session=session, scope=ReportScope((), dt.date(2026, 11, 23), dt.date(2026, 11, 23))).made
    assert made == {"fhir": 1}
    # The kiosk's own client checks in (over WSGI) and prints to the simulated printer over TCP.
    at_nine = dt.datetime(2026, 11, 23, 8, 55, tzinfo=dt.UTC)
    app.extensions["phlebo"].clock = lambda: at_nine
    kiosk_key = create_api_key(session=session, actor=SETUP, name="kiosk", kind=KeyKind.KIOSK, site_id=site.id, now=NOW)
    printer = VirtualPrinter(tmp_path / "labels")
    with SimPrinterServer(printer) as sim:
        kiosk = Services(api=KioskApi("http://phlebo.test", kiosk_key, transport=httpx.WSGITransport(app=app)),
                         printer=printer_factory(sim.uri, timeout=2.0))
        code = run_checkin(kiosk, reference=appt.reference, date_of_birth=dt.date(1948, 3, 4), out=lambda _: None,
                           today=lambda: dt.date(2026, 11, 23))
        kiosk.api.close()
    assert code == OK
    barcodes = sorted(zxingcpp.read_barcodes(Image.open(p))[0].text for p in printer.out_dir.glob("*.png"))
    session.expire_all()
    # A phlebotomist records the tubes collected on the today page; the laboratory is configured.
    lab = FakeLab()
    try:
        wired = dataclasses.replace(app.extensions["phlebo"].settings, lims_mllp=f"127.0.0.1:{lab.port}",
                                    order_status_mllp=f"127.0.0.1:{lab.port}")
        app.extensions["phlebo"].settings = wired
        app.extensions["phlebo"].clock = lambda: at_nine + dt.timedelta(minutes=7)
        assert "Collected 09:02 by Pat Phlebotomist" in collect_on_today_page(app, session, site_id=site.id,
                                                                              appointment_id=appt.id)
        for minutes in range(8, 12):
            send_due_messages(engine=engine, settings=wired, sender=make_sender(wired),
                              now=at_nine + dt.timedelta(minutes=minutes))
    finally:
        lab.close()
    # The laboratory gets the OML^O21 with the printed barcodes; the requester's system (a FHIR
    # request is from one) gets booked and collected.
    [to_lab] = [m for m in lab.received if "|LIMS|" in m.split("\r")[0]]
    strict(to_lab)
    assert sorted(s.split("|")[2] for s in to_lab.split("\r") if s.startswith("SPM|")) == barcodes
    assert {s.split("|")[2] for s in to_lab.split("\r") if s.startswith("ORC|")} == {"FHIR-0001234^B86001"}
    to_requester = [m for m in lab.received if "|ORDERCOMMS|" in m.split("\r")[0]]
    assert [[s.split("|")[5] for s in m.split("\r") if s.startswith("ORC|")][0] for m in to_requester] == ["SC", "IP"]
    specimens, _ = parsed(client.get(f"/fhir/R4/Specimen?request=ServiceRequest/{number}", headers=partner))
    assert sorted(e["resource"]["identifier"][0]["value"] for e in specimens["entry"]) == barcodes
    assert len(barcodes) == 3
    assert all(e["resource"]["collection"]["collector"]["display"] == "Pat Phlebotomist" for e in specimens["entry"])
    done, _ = parsed(client.get(f"/fhir/R4/ServiceRequest/{number}", headers=partner))
    assert done["status"] == "completed"
    # The slot is now taken: booking it again for the same request is refused (already booked).
    again = post(client, "Appointment", booking, partner)
    assert again.status_code in (409, 422) and parsed(again)[0]["resourceType"] == "OperationOutcome"


def test_a_full_slot_is_a_409_operation_outcome(client, session, partner):
    number = parsed(post(client, "ServiceRequest", example("service-request.json"), partner))[0]["id"]
    site = make_site(session)
    clinic = make_clinic(session, site=site, day=dt.date(2026, 11, 24), start=dt.time(9), end=dt.time(10))
    slot = slots_of(session, clinic)[0]
    slot.booked = slot.capacity
    session.add(slot)
    session.commit()
    resp = post(client, "Appointment", {"resourceType": "Appointment", "status": "booked",
                                         "slot": [{"reference": f"Slot/{slot.id}"}],
                                         "basedOn": [{"reference": f"ServiceRequest/{number}"}],
                                         "participant": [{"status": "accepted", "actor": {"display": "x"}}]}, partner)
    data, _ = parsed(resp)
    assert resp.status_code == 409 and data["issue"][0]["code"] == "conflict"


@pytest.mark.parametrize(("change", "status", "where"), [
    (lambda r: r.pop("meta"), 422, "ServiceRequest.meta.profile"),
    (lambda r: r.update(status="draft"), 422, "ServiceRequest.status"),
    (lambda r: r["contained"][0]["identifier"][0].update(value="9990042439"), 422, "ServiceRequest.subject.identifier"),
    (lambda r: r["code"]["coding"].append({"code": "NOPE"}), 422, "ServiceRequest.code"),
    (lambda r: r["requester"]["identifier"].update(value="Y99999"), 422, "ServiceRequest.requester.identifier"),
    (lambda r: r.update(subject={"reference": "#nobody"}), 422, "ServiceRequest.subject"),
    (lambda r: r.update(intent=7), 422, "ServiceRequest.intent"),
    (lambda r: r.update(resourceType="Patient"), 422, "resourceType"),
    (lambda r: r["occurrencePeriod"].update(end="2026-11-01"), 422, "ServiceRequest.occurrencePeriod.end"),
])
def test_a_bad_service_request_is_an_operation_outcome_and_creates_nothing(client, session, partner, change,
                                                                           status, where):
    body = example("service-request.json")
    change(body)
    resp = post(client, "ServiceRequest", body, partner)
    data, _ = parsed(resp)
    assert resp.status_code == status and data["resourceType"] == "OperationOutcome", data
    assert any(where in e for issue in data["issue"] for e in issue.get("expression", [])), data
    session.expire_all()
    assert session.exec(select(func.count()).select_from(LabRequest)).one() == 0


def test_authentication_format_and_unknown_ids(client, partner):
    body = example("service-request.json")
    no_key = client.post("/fhir/R4/ServiceRequest", data=json.dumps(body), headers={"Content-Type": FHIR})
    assert no_key.status_code == 401 and parsed(no_key)[0]["issue"][0]["code"] == "login"
    xml = client.post("/fhir/R4/ServiceRequest", data="<ServiceRequest/>",
                      headers={**partner, "Content-Type": "application/fhir+xml"})
    assert xml.status_code == 415 and parsed(xml)[0]["resourceType"] == "OperationOutcome"
    assert client.get("/fhir/R4/ServiceRequest/RQ99999999", headers=partner).status_code == 404
    assert client.get("/fhir/R4/Appointment/ABCDEFGHJ", headers=partner).status_code == 404
    unknown = client.get("/fhir/R4/Patient/1", headers=partner)  # no such route: still an OperationOutcome
    assert unknown.status_code == 404 and parsed(unknown)[0]["issue"][0]["code"] == "not-found"
    assert client.get("/fhir/R4/Slot?start=ge2026-11-23", headers=partner).status_code == 400
    assert client.get("/fhir/R4/metadata?_format=xml").status_code == 406
