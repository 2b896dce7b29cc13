"""Ways to deliver an outbox message: GOV.UK Notify, or files in a folder (demo, development).
Both share one contract: return the provider's id, or raise TransientSendError (try again later)
or PermanentSendError (never going to work: show it to staff)."""

from __future__ import annotations

import logging
import os
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from booking_web.notify.texts import LATER_PLACEHOLDERS, render
from shared.config import Settings
from shared.models import Channel

if TYPE_CHECKING:
    from notifications_python_client.errors import APIError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outgoing:
    """What a sender needs, copied out of the outbox row (senders never see the database)."""

    id: int
    channel: str
    recipient: str
    template: str
    personalisation: dict[str, Any]
    reference: str  # our dedup key, given to Notify as its `reference`
    language: str = ""  # the patient's ('' is English): the template in it, when there is one


class SendError(Exception):
    """A message could not be delivered; `message` is for staff and holds no personal data."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class TransientSendError(SendError):
    """Worth trying again later (network, rate limit, provider down)."""


class PermanentSendError(SendError):
    """Will fail the same way every time (bad number, bad template, bad key)."""


class Sender(Protocol):
    """Delivers one message and returns the provider's id for it; finds one it already took."""

    def send(self, message: Outgoing) -> str:
        """Deliver `message`; raise TransientSendError or PermanentSendError on failure."""
        ...

    def find(self, message: Outgoing) -> str | None:
        """The provider's id for a message it already has under `message.reference`, or None;
        TransientSendError when it cannot tell (then nothing may be sent)."""
        ...


class LocalFileSender:
    """Writes each message as a text file in a folder and logs one line with the outbox id. A
    file is never overwritten: a message sent twice would leave two files (`<name>.2.txt`), so a
    duplicate can be counted rather than hidden."""

    def __init__(self, folder: Path, service_url: str):
        self.folder = Path(folder)
        self.service_url = service_url

    def send(self, message: Outgoing) -> str:
        """Write the message to `<folder>/<id>-<template>-<channel>.txt`, whole or not at all."""
        try:
            subject, body = render(
                message.template,
                {**LATER_PLACEHOLDERS, "service_url": self.service_url, **message.personalisation},
                message.language,
            )
        except KeyError as exc:
            raise PermanentSendError(f"template {message.template!r} is missing {exc}") from exc
        self.folder.mkdir(parents=True, exist_ok=True)
        head = (
            f"To: {message.recipient}\nChannel: {message.channel}\nTemplate: {message.template}\n"
            f"Reference: {message.reference}\n"
        )
        if message.channel == Channel.EMAIL:
            head += f"Subject: {subject}\n"
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=".tmp-")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(f"{head}\n{body}\n")
            self._link_new(Path(tmp), f"{message.id:06d}-{message.template}-{message.channel}")
        finally:
            os.unlink(tmp)
        log.info("local outbox: wrote message %s", message.id)
        return f"local-{message.id}"

    def _link_new(self, tmp: Path, stem: str) -> None:
        # link() fails when the name exists: a file appears whole, under a name nobody used.
        for n in range(1, 1000):
            name = f"{stem}.txt" if n == 1 else f"{stem}.{n}.txt"
            try:
                os.link(tmp, self.folder / name)
                return
            except FileExistsError:
                continue
        raise TransientSendError(f"too many files named {stem}")

    def find(self, message: Outgoing) -> str | None:
        """'local-<id>' when a file for this message was written already."""
        found = any(self.folder.glob(f"{message.id:06d}-*.txt"))
        return f"local-{message.id}" if found else None


def template_for(template_ids: dict[str, str], message: Outgoing) -> str | None:
    """The Notify template for a message: the one in the patient's language
    (PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>_<LANG>, e.g. ..._BOOKED_SMS_CY) when set, else
    the English one (PHLEBO_NOTIFY_TEMPLATE_<TEMPLATE>_<CHANNEL>)."""
    english = f"{message.template}_{message.channel}"
    if message.language:
        translated = template_ids.get(f"{english}_{message.language}")
        if translated:
            return translated
    return template_ids.get(english)


class NotifySender:
    """Sends through GOV.UK Notify with the official client (one client per send: it is not
    thread-safe). Template ids come from settings.notify_templates['<template>_<channel>'], or
    '<template>_<channel>_<lang>' for a patient who booked in another language."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str,
        template_ids: dict[str, str],
        service_url: str,
        timeout: float = 15,
    ):
        self.api_key = api_key
        self.base_url = base_url
        self.template_ids = template_ids
        self.service_url = service_url
        self.timeout = timeout

    def send(self, message: Outgoing) -> str:
        """POST the message to Notify; 4xx (but 429) is permanent, anything else transient."""
        template_id = template_for(self.template_ids, message)
        if not template_id:
            raise PermanentSendError(
                f"no Notify template id set: PHLEBO_NOTIFY_TEMPLATE_{message.template.upper()}_"
                f"{message.channel.upper()}"
            )
        # Imported here, as in find(): the client brings requests, PyJWT and cryptography (about
        # 12 MiB), which only the process that sends (the scheduler) needs, not a web worker.
        from notifications_python_client import NotificationsAPIClient
        from notifications_python_client.errors import APIError

        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)
        personalisation = {**LATER_PLACEHOLDERS, "service_url": self.service_url, **message.personalisation}
        try:
            if message.channel == Channel.SMS:
                reply = client.send_sms_notification(
                    phone_number=message.recipient,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference,
                )
            else:
                reply = client.send_email_notification(
                    email_address=message.recipient,
                    template_id=template_id,
                    personalisation=personalisation,
                    reference=message.reference,
                )
        except APIError as exc:
            raise _classify(exc) from exc
        finally:
            client.request_session.close()
        return str((reply or {}).get("id", ""))

    def find(self, message: Outgoing) -> str | None:
        """Ask Notify for a notification with this reference (GET /v2/notifications?reference=),
        sent from this service in its last 7 days; its id, or None when there is none."""
        from notifications_python_client import NotificationsAPIClient
        from notifications_python_client.errors import APIError

        client = NotificationsAPIClient(self.api_key, base_url=self.base_url, timeout=self.timeout)
        try:
            reply = client.get_all_notifications(reference=message.reference)
        except APIError as exc:
            failure = _classify(exc)
            # Not knowing is never "not there": nothing is sent until Notify can answer.
            raise TransientSendError(f"looking it up: {failure.message}") from exc
        finally:
            client.request_session.close()
        found = [n for n in (reply or {}).get("notifications", []) if n.get("reference") == message.reference]
        return str(found[0].get("id", "")) if found else None


def _classify(exc: APIError) -> SendError:
    """Notify's answer as ours (its message could echo the recipient, so that is redacted)."""
    status = exc.status_code
    detail = _error_names(exc)
    text = f"Notify answered {status}{': ' + detail if detail else ''}"
    if 400 <= status < 500 and status != 429:
        return PermanentSendError(text)
    return TransientSendError(text)


_PERSONAL = re.compile(r"\S*@\S*|\+?\d[\d\s-]{5,}\d")


def _error_names(exc: APIError) -> str:
    """Notify's 'error: message' pairs, with anything like a phone number or email redacted."""
    try:
        errors = exc.response.json().get("errors", [])  # type: ignore[union-attr]
        text = "; ".join(
            f"{e.get('error', '')}: {e.get('message', '')}" for e in errors if isinstance(e, dict)
        )
    except Exception:  # no body, not JSON, a connection error: the status says enough
        return ""
    return _PERSONAL.sub("[redacted]", text)[:300]


def make_sender(settings: Settings) -> Sender:
    """HL7 messages over MLLP; patients' messages through Notify when PHLEBO_NOTIFY_API_KEY is
    set, otherwise as files in settings.outbox_dir."""
    from booking_web.hl7.sender import Hl7Sender, RoutingSender

    return RoutingSender(_patient_sender(settings), Hl7Sender(settings))


def _patient_sender(settings: Settings) -> Sender:
    if settings.notify_api_key:
        return NotifySender(
            api_key=settings.notify_api_key,
            base_url=settings.notify_base_url,
            template_ids=settings.notify_templates,
            service_url=settings.public_url,
        )
    return LocalFileSender(settings.outbox_dir, settings.public_url)
