"""What the end-to-end tests do as people would: a GP system books over the partner API, the
patient reads their QR code off the manage page, taps the kiosk, staff use the staff pages;
and what they check: the labels the simulator printed, decoded and compared dot for dot."""

from __future__ import annotations

import base64
import io
import json
import re
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import httpx
import zxingcpp
from PIL import Image
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QPushButton
from sqlmodel import select

from booking_web.services import specimens as label_service
from booking_web.services.qr import make_qr_payload
from hardware_sim.scanner import VirtualScanner
from kiosk_app.flow import Screen
from kiosk_app.views import DobView
from label_printer import LabelData, layout_label
from label_printer.languages.zpl import printer_can_draw
from shared.models import (
    Appointment,
    IdempotencyKey,
    JobSource,
    PrintJob,
    PrintJobLabel,
    Site,
    Specimen,
)
from shared.nhs_number import make_test_number
from tests import label_images
from tests.e2e.conftest import DAY, PASSWORD, World

WAIT_MS = 10_000
REPORT_WAIT_MS = 30_000  # a report the server answers late is sent again: up to a few HTTP timeouts
SIX_TESTS = ["FBC", "UE", "LFT", "GLU", "INR", "GS"]
DRAW_ORDER = ["Sodium citrate", "Serum gel (SST)", "EDTA", "Fluoride oxalate"]
NHS_NUMBER = make_test_number(4242)
PATIENT = {"nhs_number": NHS_NUMBER, "given_name": "Margaret", "family_name": "Whitfield",
           "date_of_birth": "1957-03-04", "mobile": "07700 900 123"}
DOB_DIGITS = "04031957"  # typed on the kiosk keypad: day, month, year


# -- booking, as a GP system and as the patient -------------------------------------------------
@dataclass(frozen=True)
class Booking:
    """A booked appointment and the QR code the patient carries."""

    reference: str
    request_number: str
    appointment_id: int
    qr: str


def book_with_request(world: World, tests: list[str] = SIX_TESTS) -> Booking:
    """POST /api/v1/requests, then book today's 09:00 slot with that request number."""
    auth = {"Authorization": f"Bearer {world.partner_key}"}
    with httpx.Client(base_url=world.url, headers=auth, timeout=10) as api:
        made = api.post("/api/v1/requests", json={"nhs_number": NHS_NUMBER, "tests": tests,
                                                  "requester": "Dr Example, Leeds GP"})
        assert made.status_code == 201, made.text
        request_number = made.json()["request_number"]
        slots = api.get("/api/v1/slots", params={"site_id": world.site_id, "date": DAY.isoformat(),
                                                  "appointment_type": "adult"})
        assert slots.status_code == 200, slots.text
        [nine] = [s for s in slots.json()["slots"] if s["start"] == "2026-11-23T09:00:00+00:00"]
        booked = api.post("/api/v1/appointments", json={
            "slot_id": nine["id"], "appointment_type": "adult", "patient": PATIENT,
            "request_number": request_number})
        assert booked.status_code == 201, booked.text
        assert booked.json()["request_number"] == request_number
        reference = booked.json()["reference"]
    with world.session() as session:
        appt = session.exec(select(Appointment).where(Appointment.reference == reference)).one()
        qr = make_qr_payload(secret=world.settings.secret_key, appointment=appt)
        assert appt.id is not None
        return Booking(reference, request_number, appt.id, qr)


def qr_from_manage_page(world: World, booking: Booking) -> str:
    """The QR code the patient sees on 'manage my booking', decoded from its PNG."""
    with httpx.Client(base_url=world.url, timeout=10, follow_redirects=True) as browser:
        token = _csrf(browser.get("/manage").text)
        page = browser.post("/manage", data={
            "csrf_token": token, "reference": booking.reference, "dob-day": "4",
            "dob-month": "3", "dob-year": "1957"})
        assert page.status_code == 200, page.text[:500]
        match = re.search(r'data:image/png;base64,([A-Za-z0-9+/=]+)', page.text)
        assert match, "no QR code on the manage page"
    image = Image.open(io.BytesIO(base64.b64decode(match.group(1))))
    [code] = zxingcpp.read_barcodes(image)
    assert code.format == zxingcpp.BarcodeFormat.QRCode
    return code.text


# -- the kiosk, as a patient ----------------------------------------------------------------
def tap(qtbot, widget: QPushButton) -> None:  # type: ignore[no-untyped-def]
    """A touch on a visible, enabled button."""
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def shown(kiosk, name: str) -> str:  # type: ignore[no-untyped-def]
    """The text of a label on the screen on show ('' when hidden)."""
    label = kiosk.window.current_view.findChild(QLabel, name)
    assert label is not None, name
    return label.text() if label.isVisible() else ""


def on(kiosk, screen: Screen) -> bool:  # type: ignore[no-untyped-def]
    """True when the kiosk shows `screen`."""
    return kiosk.controller.state.screen == screen


def scan_and_enter_dob(qtbot, kiosk, qr: str, digits: str = DOB_DIGITS) -> None:  # type: ignore[no-untyped-def]
    """Scan the QR code with the virtual wedge scanner, type the date of birth, tap Next."""
    assert on(kiosk, Screen.START)
    VirtualScanner(kiosk.window).scan(qr)
    assert on(kiosk, Screen.DOB), kiosk.controller.state
    assert kiosk.controller.state.qr == qr, (kiosk.controller.state.qr, qr)
    view = kiosk.window.current_view
    assert isinstance(view, DobView)
    for digit in digits:
        tap(qtbot, view.keypad.keys[digit])
    assert [view.fields[f].text() for f in ("day", "month", "year")] == [
        digits[:2], digits[2:4], digits[4:]]
    tap(qtbot, view.next)


def wait_for_confirm(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    """Until 'Is this you?' shows the masked name and the time of the booking."""
    qtbot.waitUntil(lambda: not on(kiosk, Screen.BUSY), timeout=WAIT_MS)
    assert on(kiosk, Screen.CONFIRM), kiosk.controller.state
    assert shown(kiosk, "masked_name") == "M******* W********"
    assert shown(kiosk, "appointment_time") == "Appointment at 9:00am"


def confirm_and_wait(qtbot, kiosk) -> None:  # type: ignore[no-untyped-def]
    """Tap 'Yes, check me in' and wait until nothing is running (server call and printing)."""
    tap(qtbot, kiosk.window.current_view.yes)
    qtbot.waitUntil(lambda: not kiosk.controller.state.waiting, timeout=WAIT_MS)


def wait_for_print_report(qtbot, world: World, kiosk, booking: Booking) -> None:  # type: ignore[no-untyped-def]
    """Until the server holds the kiosk's print report for the booking's job (bounded). The kiosk
    sends it before it stops waiting, but on a busy machine the answer can take longer than the
    kiosk's HTTP timeout: the server writes the report after the kiosk gave up, or answers 503
    while its database is busy. The kiosk then keeps the report in its outbox for its next flush
    (a minute on), which is done here at once, as its timer would."""
    api = kiosk.services.api

    def reported() -> bool:
        if server_labels(world, booking).job_status not in ("", "pending"):
            return True
        if api.pending_reports():
            api.flush_outbox()
        return False

    qtbot.waitUntil(reported, timeout=REPORT_WAIT_MS)


class ScreenLog:
    """Every screen the patient saw during a check-in, with the words about labels on it."""

    def __init__(self, kiosk):  # type: ignore[no-untyped-def]
        self.seen: list[tuple[Screen, str]] = []
        kiosk.controller.changed.connect(  # after the window's own slot: the views are drawn
            lambda state: self.seen.append((state.screen, kiosk.window.views[Screen.RESULT]
                                            .labels.text() if state.screen == Screen.RESULT
                                            else "")))

    def label_messages(self) -> list[str]:
        """What the result screen said about labels, in order, without repeats."""
        return list(dict.fromkeys(text for screen, text in self.seen
                                  if screen == Screen.RESULT and text))


# -- what the server recorded ---------------------------------------------------------------
@dataclass(frozen=True)
class ServerLabels:
    """The specimens of a booking (in position order) and its kiosk print job."""

    ids: list[str]
    containers: list[str]
    labels: list[LabelData]  # as the server builds them, not marked REPRINT
    reprints: list[LabelData]  # the same, marked REPRINT
    job_status: str
    printer_status: str
    outcomes: list[str]
    kiosk_jobs: int
    staff_jobs: int
    attempts: list[str]  # request ids of check-in attempts


def server_labels(world: World, booking: Booking) -> ServerLabels:
    """Read the server's records for the booking (a short session)."""
    with world.session() as session:
        specimens = list(session.exec(select(Specimen).where(
            Specimen.appointment_id == booking.appointment_id).order_by(Specimen.position)))
        jobs = list(session.exec(select(PrintJob).where(
            PrintJob.appointment_id == booking.appointment_id).order_by(PrintJob.id)))
        kiosk_jobs = [j for j in jobs if j.source == JobSource.KIOSK]
        outcomes: list[str] = []
        status = printer_status = ""
        if kiosk_jobs:
            job = kiosk_jobs[0]
            status, printer_status = job.status, job.printer_status or ""
            outcomes = [r.outcome for r in session.exec(select(PrintJobLabel).where(
                PrintJobLabel.job_id == job.id).order_by(PrintJobLabel.position))]
        attempts = [k.request_key for k in session.exec(select(IdempotencyKey))
                    if k.body.get("appointment_id") == booking.appointment_id]
        return ServerLabels(
            ids=[s.specimen_id or "" for s in specimens],
            containers=[s.container for s in specimens],
            labels=[label_service.label_data(session, s) for s in specimens],
            reprints=[label_service.label_data(session, s, reprint=True) for s in specimens],
            job_status=status, printer_status=printer_status, outcomes=outcomes,
            kiosk_jobs=len(kiosk_jobs), staff_jobs=len(jobs) - len(kiosk_jobs),
            attempts=attempts)


def appointment_status(world: World, booking: Booking) -> tuple[str, int | None]:
    """The booking's status and queue number on the server."""
    with world.session() as session:
        appt = session.get(Appointment, booking.appointment_id)
        assert appt is not None
        return appt.status, appt.queue_number


# -- what the printer printed -----------------------------------------------------------------
@dataclass(frozen=True)
class Printed:
    """One label image from the simulator: the barcode it decodes to, and whether it is the
    server's label exactly (`reprint` False) or its REPRINT copy (True)."""

    path: Path
    specimen_id: str
    reprint: bool
    session: int


def same_dots(path: Path, label: LabelData) -> bool:
    """True when the printed label is `label`: for ESC/POS dot for dot what label_printer draws
    (we send that raster); for ZPL, the printer's text fields are the layout's texts it can
    draw, one graphic field for each it cannot, and the printer-drawn barcode is its id."""
    meta = json.loads(path.with_suffix(".json").read_text())
    if meta.get("language") == "zpl":
        layout = layout_label(label)
        drawable = [e.text for e in layout.texts if printer_can_draw(e.text)]
        graphics = [e for e in layout.texts if not printer_can_draw(e.text) and e.text.strip()]
        return (meta["texts"] == drawable and len(meta["graphics"]) == len(graphics)
                and [b.get("text") for b in meta["barcodes"]] == [label.specimen_id])
    with Image.open(path) as image:
        return label_images.same_dots(image, label)


def read_labels(world: World, server: ServerLabels) -> list[Printed]:
    """Decode every PNG; each must be exactly one of the server's labels, plain or REPRINT."""
    printed = []
    for path in world.pngs():
        with Image.open(path) as image:
            codes = zxingcpp.read_barcodes(image)
        assert [c.format for c in codes] == [zxingcpp.BarcodeFormat.Code128], path
        sid = codes[0].text
        assert sid in server.ids, f"{path.name} is {sid}, not a specimen of this booking"
        i = server.ids.index(sid)
        plain, marked = same_dots(path, server.labels[i]), same_dots(path, server.reprints[i])
        assert plain != marked, f"{path.name} is neither the label nor its REPRINT copy"
        meta = json.loads(path.with_suffix(".json").read_text())
        printed.append(Printed(path, sid, marked, int(meta["session"])))
    return printed


def assert_each_label_printed_once(world: World, server: ServerLabels) -> list[Printed]:
    """No label lost, none duplicated: every specimen has exactly one label on paper, either
    the original or a copy marked REPRINT; never two unmarked copies."""
    printed = read_labels(world, server)
    per_id = Counter(p.specimen_id for p in printed)
    assert per_id == Counter(server.ids), f"labels on paper {per_id}, specimens {server.ids}"
    return printed


def lost_labels(world: World) -> list[dict[str, object]]:
    """Labels the simulator received but could not print (paper out, offline)."""
    index = world.labels_dir / "index.jsonl"
    if not index.exists():
        return []
    events = [json.loads(line) for line in index.read_text().splitlines()]
    # ESC/POS loses a label it cannot print; a ZPL printer holds it until told to drop it.
    return [e for e in events if e["event"] in ("label_lost", "label_cancelled")]


# -- the staff pages, as a phlebotomist or an admin -------------------------------------------
def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "no CSRF token on the page"
    return match.group(1)


class StaffBrowser:
    """A signed-in member of staff on the live server (cookies kept, redirects followed)."""

    def __init__(self, world: World, username: str):
        self.http = httpx.Client(base_url=world.url, timeout=10, follow_redirects=True)
        page = self.post("/staff/sign-in", {"username": username, "password": PASSWORD})
        assert page.status_code == 200 and "Sign out" in page.text, page.text[:500]

    def get(self, path: str) -> str:
        """A page's HTML."""
        page = self.http.get(path)
        assert page.status_code == 200, (path, page.status_code)
        return page.text

    def post(self, path: str, data: dict[str, str], *, form_page: str | None = None
             ) -> httpx.Response:
        """Submit a form with the CSRF token of the page that shows it."""
        token = _csrf(self.http.get(form_page or path).text)
        return self.http.post(path, data={**data, "csrf_token": token})

    def close(self) -> None:
        """Close the connection pool."""
        self.http.close()

    def __enter__(self) -> StaffBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def set_site_printer(world: World, uri: str) -> None:
    """An admin sets the site's reprint printer on the admin site page."""
    with world.session() as session:
        site = session.get(Site, world.site_id)
        assert site is not None
        form = {"name": site.name, "address": site.address, "postcode": site.postcode,
                "latitude": str(site.latitude), "longitude": str(site.longitude),
                "access_notes": site.access_notes, "active": "yes", "printer_uri": uri}
    path = f"/staff/admin/sites/{world.site_id}"
    with StaffBrowser(world, world.admin) as admin:
        saved = admin.post(path, form)
        assert saved.status_code == 200 and "Site saved." in saved.text, saved.text[:800]
        assert f'value="{uri}"' in admin.get(path)


def reprint_at_the_chair(staff: StaffBrowser, booking: Booking, specimen_id: str,
                         reason: str, other: str = "", checked_printer: bool = False) -> str:
    """Reprint one label from the patient page (`reason` a code of REPRINT_REASONS), wait until
    the print worker has printed it; returns the patient page then."""
    path = f"/staff/today/{booking.appointment_id}"
    form = {"specimen_id": specimen_id, "reason": reason, "reason_other": other}
    if checked_printer:
        form["checked_printer"] = "yes"  # staff looked: the label is not on the printer
    page = staff.post(f"{path}/reprint", form, form_page=path)
    assert page.status_code == 200 and "Reprint recorded (marked REPRINT)" in page.text, (
        page.text[:800])
    # The print worker sends it; the page's reprint list (what it fetches while one waits)
    # says when the newest reprint of this label has printed.
    deadline = time.monotonic() + 30
    while True:
        region = staff.get(f"{path}/reprints")
        row = region.split(f"<td class=\"nhsuk-table__cell\">{specimen_id}<br>", 1)[1]
        if 'data-reprint-state="printed"' in row.split("</tr>", 1)[0]:
            return staff.get(path)
        assert time.monotonic() < deadline, row.split("</tr>", 1)[0]
        time.sleep(0.1)
