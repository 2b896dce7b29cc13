"""The patient's home postcode from a test request, through every door (the partner API, the
requester's pages, HL7 v2 PID-11.5, FHIR Patient.address.postalCode), on both engines: it goes
on a new record, fills a record that has none, never replaces a different one, and a bad one
is refused naming the field with nothing written. The point of it: a patient who came only
through a GP's request is found at the kiosk by name, postcode and date of birth."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from booking_web.services.catalogue import seed_catalogue
from booking_web.services.lab_requests import create_request
from shared.models import LabRequest, OrganisationTestCode, OutboxMessage, Patient, RequestEvent
from shared.nhs_number import make_test_number
from tests.conftest import NOW
from tests.factories import make_organisation, make_partner_key, make_requester
from tests.integration.hl7_helpers import ack_code, example, listener, read_ack, send
from tests.integration.test_checkin import at
from tests.integration.test_fhir import FHIR
from tests.integration.test_fhir import example as fhir_example
from tests.integration.test_requester_pages import order
from tests.integration.test_staff import post, sign_in
from tests.integration.test_walk_ins import walk
from tests.integration.test_walk_ins import world as walk_in_site

NHS = make_test_number(4242)
BODY = {"nhs_number": NHS, "tests": ["FBC"], "requester": "Dr Ada Example", "given_name": "Margaret",
        "family_name": "O'Brien", "date_of_birth": "1948-03-04"}


@pytest.fixture
def partner(session: Session) -> dict[str, str]:
    seed_catalogue(session=session)
    ice = make_organisation(session)  # B86001
    session.add(OrganisationTestCode(organisation_id=ice.id, external_code="U&E", test_code="UE"))
    make_organisation(session, ods_code="B86002", name="Hill Street Surgery")
    return {"Authorization": f"Bearer {make_partner_key(session)}"}


def counts(session: Session) -> tuple[int, ...]:
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient))


def postcodes(session: Session) -> list[str]:
    session.expire_all()
    return [p.postcode for p in session.exec(select(Patient).order_by(Patient.id))]  # type: ignore[arg-type]


def test_the_api_puts_the_postcode_on_a_new_record_in_its_usual_form(client, session, partner):
    resp = client.post("/api/v1/requests", json={**BODY, "postcode": " ls14ab "}, headers=partner)
    assert resp.status_code == 201, resp.json
    assert postcodes(session) == ["LS1 4AB"]


@pytest.mark.parametrize("bad", ["LS1", "NOT A POSTCODE", "LS1 4AB!", 1234, ["LS1 4AB"]])
def test_a_bad_postcode_is_refused_naming_it_and_nothing_is_written(client, session, partner, bad):
    resp = client.post("/api/v1/requests", json={**BODY, "postcode": bad}, headers=partner)
    assert resp.status_code == 422
    assert list(resp.json["fields"]) == ["postcode"]
    assert "full home postcode" in resp.json["fields"]["postcode"]
    assert counts(session) == (0, 0, 0, 0)


def test_a_record_without_a_postcode_gets_one_and_a_different_one_is_never_replaced(client, session, partner):
    assert client.post("/api/v1/requests", json=BODY, headers=partner).status_code == 201  # no postcode yet
    assert postcodes(session) == [""]
    assert client.post("/api/v1/requests", json={**BODY, "postcode": "LS1 4AB"}, headers=partner).status_code == 201
    assert postcodes(session) == ["LS1 4AB"]
    moved = client.post("/api/v1/requests", json={**BODY, "postcode": "BD1 1AA"}, headers=partner)
    assert moved.status_code == 201  # the request is taken; the record keeps what it had
    none_given = client.post("/api/v1/requests", json={**BODY, "postcode": ""}, headers=partner)
    assert none_given.status_code == 201
    assert postcodes(session) == ["LS1 4AB"] and counts(session)[0] == 4


def test_a_wrong_identity_with_a_postcode_changes_nothing(client, session, partner):
    assert client.post("/api/v1/requests", json=BODY, headers=partner).status_code == 201
    before = counts(session)
    wrong = client.post("/api/v1/requests", json={**BODY, "date_of_birth": "1948-04-03", "postcode": "LS1 4AB"},
                        headers=partner)
    assert wrong.status_code == 422 and wrong.json["error"] == "identity_mismatch"
    assert counts(session) == before and postcodes(session) == [""]


def test_the_requesters_pages_ask_for_the_postcode_and_send_it(client, session):
    seed_catalogue(session=session)
    make_organisation(session, "B86001", "Park Surgery")
    make_requester(session, "B86001", username="drada")
    sign_in(client, "drada")
    client.get("/staff/requests/new")
    assert "Home postcode (optional)" in client.get("/staff/requests/new/patient").text
    refused = post(client, "/staff/requests/new/patient", {
        "nhs_number": "999 000 0026", "given_name": "Margaret", "family_name": "O'Brien", "dob-day": "4",
        "dob-month": "3", "dob-year": "1948", "postcode": "LS1", "mobile": "", "email": ""})
    assert refused.status_code == 400 and "full home postcode" in refused.text
    assert counts(session) == (0, 0, 0, 0)
    done = order(client, patient={"postcode": "ls1 4ab"})
    assert done.status_code == 302, done.text[:300]
    assert postcodes(session) == ["LS1 4AB"]
    assert session.exec(select(LabRequest)).one().source == "web"


def _hl7_with(postcode_field: str) -> bytes:
    return example("tquest_orm_o01_latin1.hl7").replace(b"12 Mill Lane^^Bradford^^BD1 1AA^GBR^H",
                                                        postcode_field.encode("latin-1"))


def test_hl7_pid_11_5_is_the_postcode_the_home_address_first(engine, settings, session, partner):
    with listener(engine, settings) as port:
        assert ack_code(send(port, example("ice_oml_o21.hl7"))) == "AA"  # one address, no type
        # Two addresses: the mailing one first, the home one (XAD-7 H) is the postcode kept.
        two = _hl7_with("PO Box 12^^Leeds^^LS2 9JT^GBR^M~12 Mill Lane^^Bradford^^bd11aa^GBR^H")
        assert ack_code(send(port, two)) == "AA"
    assert sorted(postcodes(session)) == ["BD1 1AA", "LS1 4AB"]


def test_hl7_an_address_abroad_gives_no_postcode_and_the_order_is_taken(engine, settings, session, partner):
    with listener(engine, settings) as port:
        assert ack_code(send(port, _hl7_with("1 Rue de Rivoli^^Paris^^75001^FRA^H"))) == "AA"
    assert postcodes(session) == [""]


def test_hl7_a_bad_postcode_is_taken_without_it_and_a_warning_at_pid_11_5(engine, settings, session, partner):
    """An address typo must not hold up a blood test: AA, the request made, no postcode kept,
    and an ERR of severity W (table 0516) at PID-11.5 telling the sender."""
    with listener(engine, settings) as port:
        answer = send(port, _hl7_with("12 Mill Lane^^Bradford^^BD1^GBR^H"))
    ack = read_ack(answer)
    assert ack.msa.msa_1.to_er7() == "AA"
    err = ack.err
    assert err.err_2.to_er7() == "PID^1^11^1^5" and err.err_4.to_er7() == "W"
    assert err.err_3.to_er7().startswith("102^") and "taken without it" in err.err_8.to_er7()
    assert counts(session)[0] == 1 and postcodes(session) == [""]


def test_fhir_patient_address_postal_code_is_the_postcode(client, session, partner):
    bundle = fhir_example("transaction-bundle.json")
    resp = client.post("/fhir/R4/", data=json.dumps(bundle), headers={**partner, "Content-Type": FHIR})
    assert resp.status_code == 200, resp.data[:300]
    contained = fhir_example("service-request.json")
    contained["contained"][0]["address"].insert(0, {"use": "old", "postalCode": "LS6 2AA"})
    contained["contained"][0]["address"].append({"use": "work", "postalCode": "LS9 7TF"})
    resp = client.post("/fhir/R4/ServiceRequest", data=json.dumps(contained), headers={**partner, "Content-Type": FHIR})
    assert resp.status_code == 201, resp.data[:300]
    assert sorted(postcodes(session)) == ["BD1 1AA", "LS1 4AB"]


def test_fhir_a_bad_postal_code_is_an_operation_outcome_naming_it_and_nothing_written(client, session, partner):
    bundle = fhir_example("transaction-bundle.json")
    bundle["entry"][0]["resource"]["address"][0]["postalCode"] = "BD1 1A"
    resp = client.post("/fhir/R4/", data=json.dumps(bundle), headers={**partner, "Content-Type": FHIR})
    assert resp.status_code == 422
    issues = resp.get_json(force=True)["issue"]
    assert [i["expression"] for i in issues] == [["Patient.address.postalCode"]]
    assert counts(session) == (0, 0, 0, 0)


def test_a_patient_known_only_from_an_hl7_order_is_found_at_the_kiosk_by_name_and_postcode(
        client, app, engine, settings, session, partner):
    _site, _clinic, kiosk = walk_in_site(session)
    with listener(engine, settings) as port:
        assert ack_code(send(port, example("tquest_orm_o01_latin1.hl7"))) == "AA"
    at(app, 9, 20)
    resp = walk(client, kiosk, nhs_number=None, date_of_birth="1990-02-12", given_name="Zoë", family_name="ng",
                postcode="bd1 1aa")
    assert resp.status_code == 200, resp.json
    assert resp.json["queue_number"] == 1
    assert session.exec(select(LabRequest)).one().status == "checked_in"


def test_a_patient_known_only_from_an_api_request_is_found_at_the_kiosk_by_name_and_postcode(
        client, app, session, partner):
    _site, _clinic, kiosk = walk_in_site(session)
    assert client.post("/api/v1/requests", json={**BODY, "postcode": "LS1 4AB"}, headers=partner).status_code == 201
    at(app, 9, 20)
    resp = walk(client, kiosk, nhs_number=None, date_of_birth="1948-03-04", given_name="margaret",
                family_name="O'BRIEN", postcode="ls14ab")
    assert resp.status_code == 200, resp.json
    assert resp.json["queue_number"] == 1


def test_the_services_fill_a_record_made_from_an_earlier_request_without_a_postcode(session, partner):
    first = dict(session=session, nhs_number=NHS, tests=["FBC"], requester="Dr Example", given_name="Margaret",
                 family_name="O'Brien", date_of_birth=dt.date(1948, 3, 4), now=NOW)
    create_request(**first)
    create_request(**{**first, "postcode": "LS1 4AB"})
    assert postcodes(session) == ["LS1 4AB"]


def test_reading_a_request_back_gives_the_postcode_it_carried(client, session, partner):
    """GET /api/v1/requests/NUMBER: the patient's postcode as the request gave it (in its usual
    form), and null for a patient whose request gave none."""
    made = client.post("/api/v1/requests", json={**BODY, "postcode": " ls14ab "}, headers=partner)
    assert made.status_code == 201, made.json
    read = client.get(f"/api/v1/requests/{made.json['request_number']}", headers=partner)
    assert read.status_code == 200
    assert read.json["patient"] == {"given_name": "Margaret", "family_name": "O'Brien",
                                    "date_of_birth": "1948-03-04", "postcode": "LS1 4AB"}
    other = {**BODY, "nhs_number": make_test_number(5151), "given_name": "Tomasz", "family_name": "Nowak"}
    without = client.post("/api/v1/requests", json=other, headers=partner)
    assert without.status_code == 201, without.json
    read = client.get(f"/api/v1/requests/{without.json['request_number']}", headers=partner)
    assert read.status_code == 200
    assert read.json["patient"] == {"given_name": "Tomasz", "family_name": "Nowak",
                                    "date_of_birth": "1948-03-04", "postcode": None}
