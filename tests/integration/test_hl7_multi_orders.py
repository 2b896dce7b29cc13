"""Several placer orders in one HL7 message, on SQLite and PostgreSQL: each placer number (ORC-2)
is one request, each idempotent on its own; when one order is refused the others are still
taken, and the ACK (hl7apy, strict v2.5.1) says AE with an ERR of severity E located at the
refused order's own segment and sequence, and an ERR of severity I naming each request made.
Sending the message again once fixed makes only what was missing."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import LabRequest, LabRequestTest, OrganisationTestCode
from tests.factories import make_organisation
from tests.integration.hl7_helpers import example, listener, read_ack, send

TWO = example("ice_oml_o21_two_orders.hl7")


@pytest.fixture
def practice(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    org = make_organisation(session)
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="U&E", test_code="UE"))
    session.commit()
    return org


def requests(session) -> dict[str, tuple[str, str, dt.date | None, dt.date | None, list[str]]]:  # type: ignore[no-untyped-def]
    """Placer number -> (request number, urgency, earliest, latest, tests)."""
    session.expire_all()
    found = {}
    for req in session.exec(select(LabRequest).order_by(LabRequest.id)):
        tests = list(session.exec(select(LabRequestTest.test_code).where(LabRequestTest.request_id == req.id)
                                  .order_by(LabRequestTest.position)))
        found[req.placer_number] = (req.request_number, req.urgency, req.earliest, req.latest, tests)
    return found


def errs(ack) -> list[tuple[str, str, str, str, str]]:  # type: ignore[no-untyped-def]
    """Each ERR as (segment, sequence, code, severity, words)."""
    return [(e.err_2.erl_1.to_er7(), e.err_2.erl_2.to_er7(), e.err_3.cwe_1.to_er7(), e.err_4.to_er7(),
             e.err_8.to_er7()) for e in ack.err]


def test_two_placer_orders_make_two_requests_once_each(engine, settings, session, practice):
    with listener(engine, settings) as port:
        first = read_ack(send(port, TWO))
        again = read_ack(send(port, TWO.replace(b"081000007|", b"081000008|")))  # a resend, new control id
    assert first.msa.msa_1.to_er7() == again.msa.msa_1.to_er7() == "AA"
    assert not list(first.err) and not list(again.err)
    made = requests(session)
    assert sorted(made) == ["ICE0001240", "ICE0001241"]
    assert made["ICE0001240"][1:] == ("routine", dt.date(2026, 11, 30), dt.date(2026, 12, 6), ["FBC", "UE"])
    assert made["ICE0001241"][1:] == ("urgent", dt.date(2026, 11, 24), dt.date(2026, 11, 27), ["INR"])
    warfarin = session.exec(select(LabRequest).where(LabRequest.placer_number == "ICE0001241")).one()
    assert warfarin.clinical_details == "On warfarin: INR due Warfarin 3 mg daily."  # its own notes only
    assert session.exec(select(LabRequest).where(LabRequest.placer_number == "ICE0001240")).one().clinical_details == ""


def test_one_refused_order_does_not_stop_the_other_and_the_ack_says_which(engine, settings, session, practice):
    broken = TWO.replace(b"INR^Prothrombin", b"ZZZ9^Unknown")
    with listener(engine, settings) as port:
        ack = read_ack(send(port, broken))
        made = requests(session)
        assert sorted(made) == ["ICE0001240"]
        request_number = made["ICE0001240"][0]
        assert ack.msa.msa_1.to_er7() == "AE"
        [(segment, sequence, code, severity, words), taken] = errs(ack)
        # The third OBR of the message is the refused order's test; the first ORC's order was taken.
        assert (segment, sequence, code, severity) == ("OBR", "3", "103", "E") and "ZZZ9" in words
        assert taken[:4] == ("ORC", "1", "0", "I") and "ICE0001240" in taken[4] and request_number in taken[4]
        fixed = read_ack(send(port, TWO.replace(b"081000007|", b"081000009|")))
    assert fixed.msa.msa_1.to_er7() == "AA"
    after = requests(session)
    assert sorted(after) == ["ICE0001240", "ICE0001241"] and after["ICE0001240"][0] == request_number


def test_a_wrong_field_in_one_order_is_located_in_that_order(engine, settings, session, practice):
    # The second order's TQ1 (the third TQ1 of the message) has a priority outside table 0485.
    broken = TWO.replace(b"|20261124|20261127|S", b"|20261124|20261127|Q")
    with listener(engine, settings) as port:
        ack = read_ack(send(port, broken))
    assert ack.msa.msa_1.to_er7() == "AE"
    [refused, taken] = errs(ack)
    assert refused[:4] == ("TQ1", "3", "103", "E") and "Priority" in refused[4]
    assert taken[3] == "I" and sorted(requests(session)) == ["ICE0001240"]


def test_a_wrong_patient_refuses_every_order(engine, settings, session, practice):
    with listener(engine, settings) as port:
        ack = read_ack(send(port, TWO.replace(b"|19480304|F|", b"|19481304|F|")))
    assert ack.msa.msa_1.to_er7() == "AE" and [e[:2] for e in errs(ack)] == [("PID", "1")]
    assert requests(session) == {}


def test_a_cancel_and_a_new_order_in_one_message(engine, settings, session, practice):
    with listener(engine, settings) as port:
        assert read_ack(send(port, TWO)).msa.msa_1.to_er7() == "AA"
        both = (TWO.replace(b"ORC|NW|ICE0001241|", b"ORC|CA|ICE0001241|")
                .replace(b"ORC|NW|ICE0001240|", b"ORC|NW|ICE0001250|").replace(b"081000007|", b"081000010|"))
        ack = read_ack(send(port, both))
    assert ack.msa.msa_1.to_er7() == "AA"
    session.expire_all()
    statuses = {r.placer_number: r.status for r in session.exec(select(LabRequest))}
    assert statuses == {"ICE0001240": "invited", "ICE0001241": "cancelled", "ICE0001250": "invited"}


def test_many_senders_at_once_each_get_their_own_request(engine, settings, session, practice):
    # Eight order-comms connections at once (SQLite: the listener's writer lock takes them in turn;
    # PostgreSQL: side by side): every order is taken once, none refused or lost.
    from concurrent.futures import ThreadPoolExecutor

    one = example("ice_oml_o21.hl7")
    orders = [one.replace(b"ICE0001234", f"ICE77{n:05d}".encode()).replace(b"075500001|", f"0755{n:05d}|".encode())
              for n in range(8)]
    with listener(engine, settings) as port, ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(lambda m: read_ack(send(port, m)).msa.msa_1.to_er7(), orders * 2))
    assert answers == ["AA"] * 16
    assert sorted(requests(session)) == [f"ICE77{n:05d}" for n in range(8)]
