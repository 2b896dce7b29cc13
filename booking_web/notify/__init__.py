"""Messages to patients: the outbox, its senders (GOV.UK Notify or local files) and reminders."""

from booking_web.notify.dispatch import SendReport, send_due_messages
from booking_web.notify.outbox import queue_appointment_message, queue_message
from booking_web.notify.reminders import queue_reminders
from booking_web.notify.senders import LocalFileSender, NotifySender, Sender, make_sender

__all__ = [
    "LocalFileSender",
    "NotifySender",
    "SendReport",
    "Sender",
    "make_sender",
    "queue_appointment_message",
    "queue_message",
    "queue_reminders",
    "send_due_messages",
]
