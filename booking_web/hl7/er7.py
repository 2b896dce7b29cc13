"""Writing HL7 v2 messages (ER7, the pipe-and-hat encoding) and their ACKs.

Values are escaped with the message's own separators (HL7 v2.5.1 section 2.7.4: \\F\\ \\S\\
\\R\\ \\T\\ \\E\\); other characters are written as they are, in the message's character set.
python-hl7's escape writes every non-ASCII character as a one-byte hex escape, which breaks
names like Zoë or Łukasz, so the writer is these few lines; what it writes is checked in the
tests against hl7apy's v2.5.1 message structures and read back with python-hl7."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Sequence

from booking_web.hl7.message import ERROR_NAMES, Header, Problem

SEPARATORS = "|^~\\&"
Value = str | Sequence[str]  # a field: text, or its components


def escape(text: str, separators: str = SEPARATORS) -> str:
    """Text safe inside a field: separators escaped, line breaks as spaces."""
    field_sep, component, repeat, esc, sub = (separators[i] for i in range(5))
    out = []
    for ch in text:
        if ch == esc:
            out.append(f"{esc}E{esc}")
        elif ch == field_sep:
            out.append(f"{esc}F{esc}")
        elif ch == component:
            out.append(f"{esc}S{esc}")
        elif ch == repeat:
            out.append(f"{esc}R{esc}")
        elif ch == sub:
            out.append(f"{esc}T{esc}")
        elif ch in "\r\n\t":
            out.append(" ")
        elif ch.isprintable():
            out.append(ch)
    return "".join(out)


def segment(name: str, *fields: Value, separators: str = SEPARATORS) -> str:
    """One segment: each field text, or a list of components (each escaped)."""
    parts = []
    for value in fields:
        if isinstance(value, str):
            parts.append(escape(value, separators))
        else:
            parts.append(separators[1].join(escape(c, separators) for c in value).rstrip(separators[1]))
    return separators[0].join([name, *parts]).rstrip(separators[0])


def msh(*, sending: tuple[str, str], receiving: tuple[str, str], at: dt.datetime, message_type: Sequence[str],
        control_id: str, charset: str = "UNICODE UTF-8", processing_id: str = "P",
        separators: str = SEPARATORS) -> str:
    """An MSH segment (MSH-1 and MSH-2 are the separators themselves, never escaped)."""
    rest = segment("X", sending[0], sending[1], receiving[0], receiving[1], hl7_time(at), "", message_type,
                   control_id, processing_id, "2.5.1", "", "", "", "", "", charset, separators=separators)
    return "MSH" + separators[0] + separators[1:5] + rest[1:]


def hl7_time(at: dt.datetime) -> str:
    """A DTM with its offset, e.g. 20261126161000+0000."""
    aware = at if at.tzinfo else at.replace(tzinfo=dt.UTC)
    return aware.strftime("%Y%m%d%H%M%S%z")


_counter = itertools.count(1)


def new_control_id(at: dt.datetime) -> str:
    """A control id unique to this process: the time and a counter (ACKs only; outbound
    messages use their outbox row's key, which is unique in the database)."""
    return f"A{at.strftime('%Y%m%d%H%M%S')}{next(_counter) % 100000:05d}"


def ack(header: Header | None, code: str, problems: Sequence[Problem], *, now: dt.datetime) -> str:
    """An ACK for `header`'s message (original mode, HL7 v2.5.1 section 2.9.2): MSA-1 the code,
    MSA-2 its control id, one ERR per problem (ERR-2 where, ERR-3 the table 0357 code,
    ERR-4 severity, ERR-8 the reason for a person)."""
    seps = header.separators[:5] if header is not None and len(header.separators) >= 5 else SEPARATORS
    trigger = header.trigger if header is not None else ""
    lines = [
        msh(sending=("PHLEBO", header.receiving_facility.split(seps[1])[0] if header else "PHLEBO"),
            receiving=(header.sending_application.split(seps[1])[0] if header else "",
                       header.sending_facility if header else ""),
            at=now, message_type=("ACK", trigger, "ACK"), control_id=new_control_id(now),
            charset=(header.charset if header is not None and header.codec else "UNICODE UTF-8"),
            processing_id=(header.processing_id if header is not None and header.processing_id in "PTD"
                           and header.processing_id else "P"),
            separators=seps),
        segment("MSA", code, header.control_id if header is not None else "", separators=seps),
    ]
    for problem in problems:
        # ERL: segment ^ sequence ^ field ^ field repetition ^ component
        location = (problem.segment, str(problem.sequence), str(problem.field) if problem.field else "",
                    "1" if problem.field else "", str(problem.component) if problem.component else "")
        lines.append(segment("ERR", "", location, (problem.code, ERROR_NAMES.get(problem.code, ""), "HL70357"),
                             problem.severity,
                             "", "", "", problem.text, separators=seps))
    return "\r".join(lines) + "\r"
