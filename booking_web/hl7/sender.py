"""Delivering an outbox HL7 message to its MLLP endpoint and checking the ACK that comes back:
AA (or CA) is delivered, and the ACK's MSA is kept as the outbox row's provider id; AE is the
other end refusing the message (shown to staff, not sent again); AR, no answer or no connection
is tried again later with the outbox's backoff. An answer to another message counts as none."""

from __future__ import annotations

from booking_web.hl7 import mllp
from booking_web.hl7.message import Refused, parse_message
from booking_web.notify.senders import Outgoing, PermanentSendError, TransientSendError
from shared.config import Settings

ENDPOINT_SETTINGS = {"lims": "PHLEBO_LIMS_MLLP", "status": "PHLEBO_ORDER_STATUS_MLLP"}


def parse_endpoint(raw: str) -> tuple[str, int] | None:
    """'host:port' as (host, port); None when it is not one."""
    host, _, port = raw.strip().rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        return None
    return host.strip("[]"), int(port)


class Hl7Sender:
    """Sends `hl7` channel messages: recipient `lims` to PHLEBO_LIMS_MLLP, `status` to
    PHLEBO_ORDER_STATUS_MLLP."""

    def __init__(self, settings: Settings):
        self.endpoints = {"lims": settings.lims_mllp, "status": settings.order_status_mllp}
        self.timeout = settings.hl7_timeout_seconds

    def send(self, message: Outgoing) -> str:
        """Send the message and check its ACK; the ACK's MSA as the provider id."""
        setting = ENDPOINT_SETTINGS.get(message.recipient, message.recipient)
        endpoint = parse_endpoint(self.endpoints.get(message.recipient, ""))
        if endpoint is None:
            raise PermanentSendError(f"{setting} is not set to host:port")
        text = str(message.personalisation.get("message", ""))
        control_id = text.split("\r", 1)[0].split("|")[9] if text.count("|") > 9 else ""
        try:
            answer = mllp.send_message(*endpoint, text.encode("utf-8"), timeout=self.timeout)
        except (OSError, ValueError) as exc:
            raise TransientSendError(f"{setting} {endpoint[0]}:{endpoint[1]}: {type(exc).__name__}") from None
        try:
            _header, ack = parse_message(answer)
            msa = ack.segment("MSA")
            code, acked = str(msa(1)).upper(), str(msa(2))
        except (Refused, KeyError, IndexError):
            raise TransientSendError(f"{setting}: the answer is not an HL7 ACK") from None
        if acked != control_id:
            raise TransientSendError(f"{setting}: the ACK is for message {acked[:20]!r}, not {control_id!r}")
        if code in {"AA", "CA"}:
            return f"{code} {acked}"
        if code in {"AE", "CE"}:
            raise PermanentSendError(f"{setting} answered {code}: the message was refused")
        raise TransientSendError(f"{setting} answered {code}")

    def find(self, message: Outgoing) -> str | None:
        """None: MLLP cannot ask the other end whether it has a message, so one that may have
        gone is sent again with the same MSH-10, by which the receiver knows it (HL7 v2.5.1
        2.10.2: a repeat of a control id is a duplicate)."""
        return None


class RoutingSender:
    """HL7 messages to Hl7Sender, patients' messages to the patients' sender."""

    def __init__(self, patients: object, hl7: Hl7Sender):
        self.patients, self.hl7 = patients, hl7

    def send(self, message: Outgoing) -> str:
        """Deliver through the sender for the message's channel."""
        if message.channel == "hl7":
            return self.hl7.send(message)
        return self.patients.send(message)  # type: ignore[attr-defined, no-any-return]

    def find(self, message: Outgoing) -> str | None:
        """Ask the sender for the message's channel whether it already has the message."""
        if message.channel == "hl7":
            return self.hl7.find(message)
        return self.patients.find(message)  # type: ignore[attr-defined, no-any-return]
