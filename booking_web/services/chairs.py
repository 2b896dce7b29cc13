"""Where a site's labels print (at check-in or at the chair), its chairs (rooms) with their label
printers, and the laboratory's approval of printed transfusion labels: set by admins."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from booking_web.services.site_admin import get_site
from booking_web.services.staff_audit import Actor, changes, record, settings_of
from label_printer.errors import PrinterAddressError
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import Chair, PrintAt, SitePrinting
from shared.validation import one_line_problem


def site_printing(*, session: Session, site_id: int) -> SitePrinting:
    """A site's label settings (the defaults, unsaved, for a site never set up)."""
    return session.get(SitePrinting, site_id) or SitePrinting(site_id=site_id)


def prints_at_chair(session: Session, site_id: int) -> bool:
    """True when the site's labels print at the chair."""
    return site_printing(session=session, site_id=site_id).print_at == PrintAt.CHAIR


def transfusion_labels_allowed(session: Session, site_id: int) -> bool:
    """True when transfusion samples get printed labels: chair mode with the lab's approval."""
    policy = site_printing(session=session, site_id=site_id)
    return policy.print_at == PrintAt.CHAIR and policy.transfusion_labels


@dataclass(frozen=True)
class PrintingForm:
    """The site label settings as typed into the admin form."""

    print_at: str
    transfusion_labels: bool = False
    transfusion_approved_by: str = ""


def save_site_printing(*, session: Session, site_id: int, form: PrintingForm, actor: Actor,
                       now: dt.datetime) -> SitePrinting:
    """Set where labels print and whether transfusion samples get printed labels (chair mode
    only, with the name of whoever in the laboratory approved it); audited. Commits."""
    site = get_site(session=session, site_id=site_id)
    errors: dict[str, Problem] = {}
    if form.print_at not in tuple(PrintAt):
        errors["print_at"] = problem("print_at_missing")
    approver = " ".join(form.transfusion_approved_by.split())
    if form.transfusion_labels:
        if form.print_at != PrintAt.CHAIR:
            errors["transfusion_labels"] = problem("transfusion_labels_need_chair")
        elif not approver or len(approver) > 150:
            errors["transfusion_approved_by"] = problem("transfusion_approver_missing")
    if form.print_at == PrintAt.CHAIR and not errors and not list_chairs(
            session=session, site_id=site_id, active_only=True):
        errors["print_at"] = problem("print_at_chair_needs_chair")
    if errors:
        raise ValidationFailed("label_settings_invalid", fields=errors)
    policy = session.get(SitePrinting, site_id) or SitePrinting(site_id=site_id)
    before = _printing_settings(policy)
    approval_changed = (form.transfusion_labels != policy.transfusion_labels
                        or (form.transfusion_labels and approver != policy.transfusion_approved_by))
    policy.print_at = form.print_at
    if approval_changed:
        policy.transfusion_labels = form.transfusion_labels
        policy.transfusion_approved_by = approver if form.transfusion_labels else ""
        policy.transfusion_recorded_by = actor.display_name[:100]
        policy.transfusion_recorded_at = now
    session.add(policy)
    record(session, actor=actor, action="label settings", now=now,
           detail=f"{site.name}: {changes(before, _printing_settings(policy))}")
    session.commit()
    return policy


def _printing_settings(policy: SitePrinting) -> dict[str, object]:
    """A site's label settings as the audit log names them."""
    return {"labels print at": "the chair" if policy.print_at == PrintAt.CHAIR else "check-in",
            "printed transfusion labels": policy.transfusion_labels,
            "approved by": policy.transfusion_approved_by}


def list_chairs(*, session: Session, site_id: int, active_only: bool = False) -> list[Chair]:
    """A site's chairs by name."""
    query = select(Chair).where(Chair.site_id == site_id)
    if active_only:
        query = query.where(col(Chair.active).is_(True))
    return sorted(session.exec(query), key=lambda c: (len(c.name), c.name))


def get_chair(*, session: Session, chair_id: int, site_id: int | None) -> Chair:
    """The chair with this id (at this site, when one is given), or NotFound."""
    chair = session.get(Chair, chair_id)
    if chair is None or (site_id is not None and chair.site_id != site_id):
        raise NotFound("chair_not_found")
    return chair


def _chair_settings(chair: Chair) -> dict[str, object]:
    return {"name": chair.name, "label printer": chair.printer_uri, "in use": chair.active}


def save_chair(*, session: Session, site_id: int, chair_id: int | None, name: str,
               printer_uri: str, active: bool = True, actor: Actor, now: dt.datetime) -> Chair:
    """Add (chair_id None) or change a chair and its label printer; the address is checked (not
    connected to). Audited (before and after); commits. ValidationFailed names each bad field
    and changes nothing."""
    site = get_site(session=session, site_id=site_id)
    name, uri = " ".join(name.split()), printer_uri.strip()
    errors: dict[str, Problem] = {}
    if not name or len(name) > 40:
        errors["name"] = problem("chair_name_invalid", longest=40)
    elif wrong := one_line_problem(name, "chair_name"):
        errors["name"] = wrong
    elif any(c.name.casefold() == name.casefold() and c.id != chair_id
             for c in list_chairs(session=session, site_id=site_id)):
        errors["name"] = problem("chair_name_taken")
    if not uri or len(uri) > 300:
        errors["printer_uri"] = problem("printer_address_missing")
    else:
        from label_printer import open_printer  # here: it loads python-escpos and Pillow

        try:
            open_printer(uri)
        except PrinterAddressError as exc:
            errors["printer_uri"] = problem("printer_address_invalid", detail=exc.message)
    if errors:
        raise ValidationFailed("chair_invalid", fields=errors)
    chair = Chair(site_id=site_id, name=name, printer_uri=uri) if chair_id is None else get_chair(
        session=session, chair_id=chair_id, site_id=site_id)
    before = None if chair_id is None else _chair_settings(chair)
    if chair.printer_uri != uri:
        chair.printer_state, chair.printer_detail, chair.printer_checked_at = "", "", None
    chair.name, chair.printer_uri, chair.active = name, uri, active
    session.add(chair)
    after = _chair_settings(chair)
    record(session, actor=actor, action="chair_add" if before is None else "chair_change", now=now,
           detail=f"{site.name}: " + (settings_of(after) if before is None else changes(before, after)))
    session.commit()
    return chair
