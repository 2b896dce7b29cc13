"""Reading an inbound HL7 v2 message from its bytes: the character set (MSH-18), the separators
(MSH-1, MSH-2: never assumed) and python-hl7's parse, with each way it can be broken named.

python-hl7 reads: it is small and fast (the listener's 200+ messages a second), takes the
separators from MSH-1/MSH-2 and gives fields by position. It does not know message
structures, so the order rules are ours (booking_web.hl7.orders); the tests check what we
send against hl7apy's v2.5.1 structures, an independent library."""

from __future__ import annotations

from dataclasses import dataclass, field

import hl7

# HL7 table 0357 (message error condition codes) used in ERR-3.
ACCEPTED = "0"
SEGMENT_SEQUENCE = "100"
REQUIRED_MISSING = "101"
DATA_TYPE_ERROR = "102"
TABLE_VALUE_NOT_FOUND = "103"
UNSUPPORTED_MESSAGE_TYPE = "200"
UNSUPPORTED_EVENT = "201"
UNSUPPORTED_PROCESSING_ID = "202"
UNSUPPORTED_VERSION = "203"
UNKNOWN_KEY = "204"
INTERNAL_ERROR = "207"
ERROR_NAMES = {
    ACCEPTED: "Message accepted",
    SEGMENT_SEQUENCE: "Segment sequence error",
    REQUIRED_MISSING: "Required field missing",
    DATA_TYPE_ERROR: "Data type error",
    TABLE_VALUE_NOT_FOUND: "Table value not found",
    UNSUPPORTED_MESSAGE_TYPE: "Unsupported message type",
    UNSUPPORTED_EVENT: "Unsupported event code",
    UNSUPPORTED_PROCESSING_ID: "Unsupported processing id",
    UNSUPPORTED_VERSION: "Unsupported version id",
    UNKNOWN_KEY: "Unknown key identifier",
    INTERNAL_ERROR: "Application internal error",
}

# MSH-18 values we honour, and the Python codec for each. An empty MSH-18 means ASCII in the
# standard; read as UTF-8, which is the same for ASCII and what senders without MSH-18 send.
CHARSETS = {"": "utf-8", "ASCII": "ascii", "UNICODE UTF-8": "utf-8", "8859/1": "latin-1"}


@dataclass(frozen=True)
class Problem:
    """One thing wrong, as ERR names it: segment, sequence (1 for the first), field, code, words,
    and severity (table 0516: E error; W warning, for a detail left out of an order taken;
    I information, for an order taken beside refused ones)."""

    segment: str
    field: int | None
    code: str
    text: str
    sequence: int = 1
    component: int | None = None
    severity: str = "E"


@dataclass
class Refused(Exception):
    """The message cannot be taken: AR (rejected: its type, framing or encoding) or AE (a field is
    wrong). `header` is what could be read of MSH, for the ACK."""

    ack_code: str
    problems: list[Problem]
    header: Header | None = None


@dataclass(frozen=True)
class Header:
    """What the ACK needs from MSH, and what the message declared about itself."""

    separators: str  # MSH-1 then MSH-2, e.g. '|^~\\&'
    sending_application: str
    sending_facility: str  # MSH-4.1: the requester's ODS code
    receiving_application: str
    receiving_facility: str
    control_id: str
    message_type: str  # 'OML'
    trigger: str  # 'O21'
    processing_id: str
    version: str
    charset: str  # MSH-18 as sent
    codec: str = "utf-8"
    raw_msh: list[str] = field(default_factory=list)


def _split_msh(first: bytes) -> tuple[str, list[str]]:
    """The separators and the raw MSH fields (MSH-n at index n-1) of the first segment, read as
    ASCII before the character set is known (MSH itself is plain ASCII)."""
    if len(first) < 8 or not first.startswith(b"MSH"):
        raise Refused("AR", [Problem("MSH", None, SEGMENT_SEQUENCE, "The message does not start with MSH")])
    sep_bytes = first[3:8]
    try:
        text = first.decode("ascii")
    except UnicodeDecodeError:
        text = first.decode("latin-1")
    field_sep = text[3]
    encoding = text[4:].split(field_sep, 1)[0]
    chars = field_sep + encoding
    if (len(encoding) not in (4, 5) or len(set(chars)) != len(chars)
            or any(c.isalnum() or c in "\r\n " for c in chars) or not sep_bytes.isascii()):
        raise Refused("AR", [Problem("MSH", 2, DATA_TYPE_ERROR,
                                    "MSH-1 and MSH-2 must declare five different separators, like |^~\\&")])
    parts = text.split(field_sep)
    return chars, ["|"] + parts[1:]  # index 0 stands for MSH-1, index 1 for MSH-2, ...


def _component(value: str, separators: str, index: int = 0) -> str:
    return value.split(separators[1])[index] if value else ""


def read_header(payload: bytes) -> Header:
    """MSH as the ACK needs it; Refused (AR) when MSH itself is broken."""
    first = payload.split(b"\r", 1)[0].split(b"\n", 1)[0]
    separators, msh = _split_msh(first)

    def get(n: int) -> str:
        return msh[n - 1] if len(msh) >= n else ""

    charset = get(18).split(separators[2])[0].strip().upper()
    message_type = get(9)
    return Header(
        separators=separators,
        sending_application=get(3),
        sending_facility=_component(get(4), separators).strip(),
        receiving_application=get(5),
        receiving_facility=get(6),
        control_id=get(10)[:199],
        message_type=_component(message_type, separators, 0).upper(),
        trigger=_component(message_type, separators, 1).upper() if separators[1] in message_type else "",
        processing_id=_component(get(11), separators).upper(),
        version=_component(get(12), separators),
        charset=charset,
        codec=CHARSETS.get(charset, ""),
        raw_msh=msh,
    )


def parse_message(payload: bytes) -> tuple[Header, hl7.Message]:
    """Decode the frame's payload in its declared character set and parse it. Refused (AR) for
    an unknown character set, bytes that are not that character set, or more than one message
    in the frame."""
    header = read_header(payload)
    if not header.codec:
        raise Refused("AR", [Problem("MSH", 18, TABLE_VALUE_NOT_FOUND,
                                    f"Character set {header.charset[:20]!r} is not supported: send UNICODE UTF-8 "
                                    "or 8859/1")], header)
    try:
        text = payload.decode(header.codec)
    except UnicodeDecodeError as exc:
        raise Refused("AR", [Problem("MSH", 18, DATA_TYPE_ERROR,
                                    f"The message is not valid {header.charset or 'UTF-8'} (byte {exc.start + 1})")],
                      header) from None
    # Segments end with CR; tolerate CR LF and a bare LF from senders that write files.
    text = text.replace("\r\n", "\r")
    if "\r" not in text.strip("\r"):
        text = text.replace("\n", "\r")
    segments = [s for s in text.split("\r") if s.strip()]
    bad = [(n, s[:3]) for n, s in enumerate(segments, 1) if len(s) < 3 or not s[:3].isalnum()
           or not s[:3].isupper() or (len(s) > 3 and s[3] != header.separators[0])]
    if bad:
        position, name = bad[0]
        raise Refused("AR", [Problem(name if name.isalnum() else "MSH", None, SEGMENT_SEQUENCE,
                                    f"Segment {position} does not start with a three-letter name and the field "
                                    "separator")], header)
    if sum(1 for s in segments if s.startswith("MSH")) > 1:
        raise Refused("AR", [Problem("MSH", None, SEGMENT_SEQUENCE,
                                    "Two messages in one frame: send one message per MLLP frame")], header)
    try:
        message = hl7.parse("\r".join(segments))
    except Exception as exc:  # python-hl7 raises plain exceptions for what it cannot split
        raise Refused("AR", [Problem("MSH", None, DATA_TYPE_ERROR,
                                    f"The message cannot be read ({type(exc).__name__})")], header) from None
    return header, message
