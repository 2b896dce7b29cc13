"""Bad HL7 input never creates anything and never stops the listener: 60+ broken messages and
frames, each answered AE or AR with a reason (ERR-8), or the connection closed after the read
timeout; meanwhile another client's good order is accepted. SQLite and PostgreSQL."""

from __future__ import annotations

import socket
import threading

import pytest
from sqlalchemy import func
from sqlmodel import select

from booking_web.services.catalogue import seed_catalogue
from shared.models import LabRequest, OrganisationTestCode, OutboxMessage, Patient, RequestEvent
from tests.factories import make_organisation
from tests.integration.hl7_helpers import (
    TIMEOUT,
    example,
    exchange,
    listener,
    raw_exchange,
    read_ack,
    read_all,
    send,
)

GOOD = example("ice_oml_o21.hl7")
SB, EB = b"\x0b", b"\x1c\x0d"


def frame(payload: bytes) -> bytes:
    """One MLLP frame."""
    return SB + payload + EB


def edit(old: bytes, new: bytes, message: bytes = GOOD) -> bytes:
    """The good message with one change (which must apply)."""
    assert old in message, old
    return message.replace(old, new)


def drop(segment: bytes, message: bytes = GOOD) -> bytes:
    """The good message without every segment of this name."""
    return b"\r".join(s for s in message.split(b"\r") if not s.startswith(segment))


MSH = b"MSH|^~\\&|ICE|B86001|PHLEBO|PHLEBOTOMY|20261123075500+0000||OML^O21^OML_O21|ICE20261123075500001|P|2.5.1|||AL|NE|GBR|UNICODE UTF-8"

# (name, bytes sent, expected MSA-1, the segment ERR-2 names, words in ERR-8)
BAD_MESSAGES: list[tuple[str, bytes, str, str, str]] = [
    ("no PID", drop(b"PID"), "AE", "PID", "no PID"),
    ("no ORC", drop(b"ORC"), "AE", "ORC", "no ORC"),
    ("no OBR", drop(b"OBR"), "AE", "OBR", "at least one OBR"),
    ("bad NHS check digit", edit(b"9990042438^^^NHS", b"9990042439^^^NHS"), "AE", "PID", "NHS number"),
    ("NHS number too short", edit(b"9990042438^^^NHS", b"999004243^^^NHS"), "AE", "PID", "10 digits"),
    ("NHS number letters", edit(b"9990042438^^^NHS", b"99900A2438^^^NHS"), "AE", "PID", "NHS number"),
    ("NHS number without type NH", edit(b"^^^NHS^NH~", b"^^^NHS^MR~"), "AE", "PID", "identifier type NH"),
    ("NHS number without authority NHS", edit(b"^^^NHS^NH~", b"^^^XYZ^NH~"), "AE", "PID", "authority NHS"),
    ("empty PID-3", edit(b"PID|1||9990042438^^^NHS^NH~K123456^^^B86001^PI|", b"PID|1|||"), "AE", "PID", "PID-3"),
    ("unknown test", edit(b"GLU^Glucose", b"ZZZ9^Unknown"), "AE", "OBR", "ZZZ9"),
    ("unmapped local test", edit(b"U\\T\\E^Urea", b"U\\T\\E2^Urea"), "AE", "OBR", "Unknown test"),
    ("empty OBR-4", edit(b"OBR|3|ICE0001234||GLU^Glucose (fasting)^WINPATH", b"OBR|3|ICE0001234||"), "AE", "OBR", "OBR-4"),
    ("unknown facility", edit(b"|ICE|B86001|", b"|ICE|Y99999|"), "AE", "MSH", "ODS code"),
    ("facility not an ODS code", edit(b"|ICE|B86001|", b"|ICE|B86 001!|"), "AE", "MSH", "ODS code"),
    ("empty MSH-4", edit(b"|ICE|B86001|", b"|ICE||"), "AE", "MSH", "MSH-4"),
    ("no control id", edit(b"|ICE20261123075500001|", b"||"), "AE", "MSH", "MSH-10"),
    ("ADT message", edit(b"OML^O21^OML_O21", b"ADT^A01^ADT_A01"), "AR", "MSH", "not supported"),
    ("ORU result", edit(b"OML^O21^OML_O21", b"ORU^R01^ORU_R01"), "AR", "MSH", "not supported"),
    ("OML wrong event", edit(b"OML^O21^OML_O21", b"OML^O33^OML_O33"), "AR", "MSH", "not supported"),
    ("no message type", edit(b"OML^O21^OML_O21", b""), "AR", "MSH", "not supported"),
    ("version 3", edit(b"|P|2.5.1|", b"|P|3.0|"), "AR", "MSH", "Version"),
    ("processing id X", edit(b"|P|2.5.1|", b"|X|2.5.1|"), "AR", "MSH", "Processing id"),
    ("unknown charset", edit(b"UNICODE UTF-8", b"ISO IR87"), "AR", "MSH", "Character set"),
    ("invalid UTF-8", edit(b"O'BRIEN", b"O'BR\xc3\x28IEN"), "AR", "MSH", "not valid"),
    ("UTF-16 bytes", GOOD.decode().encode("utf-16-le"), "AR", "MSH", "MSH"),
    ("latin-1 bytes declared UTF-8", edit(b"Margaret", "Zoë".encode("latin-1")), "AR", "MSH", "not valid"),
    ("ORC-1 XO", edit(b"ORC|NW|", b"ORC|XO|"), "AE", "ORC", "ORC-1"),
    ("ORC-1 empty", edit(b"ORC|NW|", b"ORC||"), "AE", "ORC", "ORC-1"),
    ("mixed ORC-1", GOOD.replace(b"ORC|NW|", b"ORC|CA|", 1), "AE", "ORC", "ORC-1"),
    ("no placer number", GOOD.replace(b"ORC|NW|ICE0001234|", b"ORC|NW||"), "AE", "ORC", "ORC-2"),
    ("OBR before any ORC", edit(b"PV1|1|O\r", b"PV1|1|O\rOBR|1|ICE0001234||FBC\r"), "AE", "OBR", "before any ORC"),
    ("placer number too long", GOOD.replace(b"ORC|NW|ICE0001234|", b"ORC|NW|" + b"9" * 51 + b"|"), "AE", "ORC", "50"),
    ("bad date of birth", edit(b"|19480304|", b"|19481304|"), "AE", "PID", "PID-7"),
    ("date of birth in the future", edit(b"|19480304|", b"|20300101|"), "AE", "PID", "past"),
    ("bad sex", edit(b"|19480304|F|", b"|19480304|Q|"), "AE", "PID", "PID-8"),
    ("bad mobile", edit(b"07700 900123^PRN^CP", b"0113 496 0000^PRN^CP"), "AE", "PID", "mobile"),
    ("bad email", edit(b"margaret@example.com", b"margaret@"), "AE", "PID", "email"),
    ("no name but contact", edit(b"O'BRIEN^Margaret^Anne^^Mrs", b""), "AE", "PID", "first name"),
    ("bad priority", GOOD.replace(b"|20261206|R", b"|20261206|Q"), "AE", "TQ1", "Priority"),
    ("bad start date", GOOD.replace(b"|20261130|20261206|", b"|2026113X|20261206|"), "AE", "TQ1", "start"),
    ("end before start", GOOD.replace(b"|20261130|20261206|", b"|20261206|20261130|"), "AE", "TQ1", "latest"),
    ("window ended", GOOD.replace(b"|20261130|20261206|", b"|20261101|20261120|"), "AE", "TQ1", ""),
    ("window over a year", GOOD.replace(b"|20261130|20261206|", b"|20261130|20281206|"), "AE", "TQ1", "year"),
    ("clinical details too long", edit(b"NTE|1|P|Fasting", b"NTE|1|P|" + b"x" * 600), "AE", "NTE", "500"),
    ("ORC-12 too long", GOOD.replace(b"|||G8123456^Example^Ada^^^Dr", b"|||" + b"G" * 150), "AE", "ORC", "100"),
    ("wrong delimiters: two the same", edit(b"MSH|^~\\&|", b"MSH|^^\\&|"), "AR", "MSH", "separators"),
    ("wrong delimiters: letter", edit(b"MSH|^~\\&|", b"MSH|A~\\&|"), "AR", "MSH", "separators"),
    ("wrong delimiters: too few", edit(b"MSH|^~\\&|", b"MSH|^~|"), "AR", "MSH", "separators"),
    ("no MSH", drop(b"MSH"), "AR", "MSH", "MSH"),
    ("starts with PID", b"PID|1\r" + GOOD, "AR", "MSH", "MSH"),
    ("empty frame", b"", "AR", "MSH", "MSH"),
    ("just MSH", b"MSH", "AR", "MSH", "MSH"),
    ("text", b"hello there", "AR", "MSH", "MSH"),
    ("JSON", b'{"nhs_number": "9990042438"}', "AR", "MSH", "MSH"),
    ("two messages in one frame", GOOD + GOOD, "AR", "MSH", "one message per"),
    ("segment name lower case", edit(b"\rPV1|", b"\rpv1|"), "AR", "pv1", "segment"),
    ("segment name too short", edit(b"\rPV1|", b"\rPV|"), "AR", "MSH", "segment 3"),
    ("NUL bytes", edit(b"Margaret", b"Marg\x00aret"), "AE", "PID", "name"),
    ("control characters in name", edit(b"Margaret", b"Marg\x07aret"), "AE", "PID", "name"),
    ("different separators but bad NHS", edit(b"9990042438", b"9990042439",
                                              GOOD.replace(b"|", b"#").replace(b"MSH#", b"MSH#", 1)), "AE", "PID", "NHS"),
]


@pytest.fixture
def practice(session):  # type: ignore[no-untyped-def]
    seed_catalogue(session=session)
    org = make_organisation(session)
    session.add(OrganisationTestCode(organisation_id=org.id, external_code="U&E", test_code="UE"))
    session.commit()
    return org


def counts(session):  # type: ignore[no-untyped-def]
    session.expire_all()
    return tuple(session.exec(select(func.count()).select_from(m)).one()
                 for m in (LabRequest, RequestEvent, OutboxMessage, Patient))


def test_there_are_sixty_bad_inputs() -> None:
    assert len(BAD_MESSAGES) + len(BAD_FRAMES) >= 60


@pytest.mark.parametrize(("name", "payload", "code", "segment", "words"), BAD_MESSAGES, ids=[r[0] for r in BAD_MESSAGES])
def test_a_bad_message_is_answered_with_why_and_creates_nothing(engine, settings, session, practice, name, payload,
                                                                code, segment, words):
    with listener(engine, settings) as port:
        answer = exchange(port, frame(payload))
        assert answer.startswith(SB) and answer.endswith(EB), answer[:80]
        text = answer[1:-2].decode("utf-8", errors="replace")
        ack = read_ack(text)
        assert ack.msa.msa_1.to_er7() == code, text
        err_text = " ".join(e.err_8.to_er7() for e in ack.err)
        assert err_text, text
        if words:
            assert words.lower() in err_text.replace("\\E\\", "\\").lower(), text
        if segment:
            assert segment in [e.err_2.erl_1.to_er7() for e in ack.err], text
        assert counts(session) == (0, 0, 0, 0)
        # The listener still takes a good order afterwards.
        assert "MSA|AA" in send(port, GOOD)


# (name, bytes sent): framing faults. Each gets AR, or the connection is closed.
BAD_FRAMES: list[tuple[str, bytes]] = [
    ("bytes before the frame", b"garbage" + frame(GOOD)),
    ("no start byte", GOOD + EB),
    ("frame started twice", SB + GOOD[:100] + frame(GOOD)),
    ("end without CR", SB + GOOD + b"\x1c" + b"X" + frame(GOOD)),
    ("truncated frame then close", SB + GOOD[:200]),
    ("only the end bytes", EB),
    ("only the start byte", SB),
    ("1 MB message", frame(GOOD + b"NTE|1|P|" + b"x" * (1024 * 1024) + b"\r")),
]


@pytest.mark.parametrize(("name", "data"), BAD_FRAMES, ids=[r[0] for r in BAD_FRAMES])
def test_broken_framing_is_rejected_or_closed_and_creates_nothing(engine, settings, session, practice, name, data):
    with listener(engine, settings, read_timeout=1.0) as port:
        answer = raw_exchange(port, data, wait=3.0)
        frames = [f for f in answer.split(EB) if f]
        for f in frames:
            assert f.startswith(SB)
            ack = read_ack(f[1:].decode())
            assert ack.msa.msa_1.to_er7() in {"AR", "AA"}
        codes = [read_ack(f[1:].decode()).msa.msa_1.to_er7() for f in frames]
        # The good message after a framing fault may be taken; the broken part never is.
        assert "AR" in codes or not frames
        assert counts(session)[0] == codes.count("AA") <= 1
        assert "MSA|AA" in send(port, GOOD)


def test_a_slow_sender_stopping_mid_frame_is_closed_while_others_are_served(engine, settings, session, practice):
    with listener(engine, settings, read_timeout=1.0) as port:
        slow = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
        slow.sendall(SB + GOOD[:150])
        answers: list[str] = []
        others = [threading.Thread(target=lambda: answers.append(send(port, GOOD))) for _ in range(4)]
        for t in others:
            t.start()
        for t in others:
            t.join(TIMEOUT)
        assert len(answers) == 4 and all("MSA|AA" in a for a in answers)
        assert read_all(slow, 3.0) == b""  # closed by the listener after its read timeout, unanswered
        slow.close()
    assert counts(session)[0] == 1  # four sends of the same order: one request
