"""Admins add and edit sites (with access notes and the label printer used for reprints)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, select

from booking_web.services.staff_audit import Actor, changes, record, settings_of
from label_printer.errors import PrinterAddressError
from shared.errors import NotFound, Problem, ValidationFailed, problem
from shared.models import Site, SitePrinter
from shared.postcodes import coordinates_for
from shared.validation import clean_postcode, one_line_problem


@dataclass(frozen=True)
class SiteForm:
    """A site as typed into the admin form (text, checked here)."""

    name: str
    address: str
    postcode: str
    latitude: str
    longitude: str
    access_notes: str = ""
    paediatric: bool = False
    active: bool = True
    printer_uri: str = ""


def list_sites(*, session: Session) -> list[Site]:
    """Every site, active or not, by name."""
    return list(session.exec(select(Site).order_by(Site.name)))


def get_site(*, session: Session, site_id: int) -> Site:
    """The site with this id, or NotFound."""
    site = session.get(Site, site_id)
    if site is None:
        raise NotFound("site_not_found")
    return site


def printer_uri(*, session: Session, site_id: int) -> str:
    """The reprint printer address for a site, or ''."""
    row = session.get(SitePrinter, site_id)
    return row.uri if row else ""


def set_printer(*, session: Session, site_id: int, uri: str) -> None:
    """Point a site's reprints at the label printer `uri` (checked, not connected); commits."""
    from label_printer import open_printer  # here: it loads python-escpos and Pillow

    open_printer(uri)  # PrinterAddressError for an address we cannot print to
    get_site(session=session, site_id=site_id)
    printer = session.get(SitePrinter, site_id)
    if printer is None:
        session.add(SitePrinter(site_id=site_id, uri=uri))
    else:
        printer.uri = uri
    session.commit()


def _float(raw: str, low: float, high: float) -> float | None:
    try:
        value = float(raw)
    except ValueError:
        return None
    return value if low <= value <= high else None


def _settings(session: Session, site: Site) -> dict[str, object]:
    """A site's settings as the audit log names them."""
    return {"name": site.name, "address": site.address, "postcode": site.postcode, "latitude": site.latitude,
            "longitude": site.longitude, "access notes": site.access_notes, "sees children": site.paediatric,
            "open": site.active, "reprint printer": printer_uri(session=session, site_id=site.id or 0)}


def save_site(*, session: Session, site_id: int | None, form: SiteForm, actor: Actor, now: dt.datetime) -> Site:
    """Create (site_id None) or update a site; audited (before and after); commits.
    ValidationFailed names each bad field and changes nothing."""
    errors: dict[str, Problem] = {}
    name = form.name.strip()
    if not name or len(name) > 120:
        errors["name"] = problem("site_name_invalid", longest=120)
    elif wrong := one_line_problem(name, "site_name"):
        errors["name"] = wrong  # it is printed on every label
    elif any(s.name == name and s.id != site_id for s in list_sites(session=session)):
        errors["name"] = problem("site_name_taken")
    if not form.address.strip() or len(form.address) > 300:
        errors["address"] = problem("site_address_invalid", longest=300)
    postcode, wrong = clean_postcode(form.postcode)
    if wrong or " " not in postcode:
        errors["postcode"] = problem("site_postcode_invalid")
    latitude, longitude = _float(form.latitude, 49, 61), _float(form.longitude, -9, 2)
    known = (
        coordinates_for(postcode)
        if not form.latitude.strip() and not form.longitude.strip()
        else None
    )
    if known:  # blank coordinates: the centre of the postcode district will do
        latitude, longitude = known
    if latitude is None:
        errors["latitude"] = problem("latitude_invalid", low=49, high=61)
    if longitude is None:
        errors["longitude"] = problem("longitude_invalid", low=-9, high=2)
    if len(form.access_notes) > 1000:
        errors["access_notes"] = problem("access_notes_too_long", longest=1000)
    uri = form.printer_uri.strip()
    if uri:
        from label_printer import open_printer  # here: it loads python-escpos and Pillow

        try:
            open_printer(uri)  # parses the address; does not connect
        except PrinterAddressError as exc:
            errors["printer_uri"] = problem("printer_address_invalid", detail=str(exc)[:200])
    if errors:
        raise ValidationFailed("site_details_invalid", fields=errors)
    assert latitude is not None and longitude is not None
    before = None if site_id is None else _settings(session, get_site(session=session, site_id=site_id))
    if site_id is None:  # the site, its printer and the audit row in one transaction
        site = Site(name=name, address=form.address.strip(), postcode=postcode, latitude=latitude,
                    longitude=longitude, access_notes=form.access_notes.strip(), paediatric=form.paediatric,
                    active=form.active)
        session.add(site)
        session.flush()
    else:
        site = get_site(session=session, site_id=site_id)
        site.name, site.address, site.postcode = name, form.address.strip(), postcode
        site.latitude, site.longitude = latitude, longitude
        site.access_notes, site.paediatric, site.active = (
            form.access_notes.strip(),
            form.paediatric,
            form.active,
        )
    printer = session.get(SitePrinter, site.id)
    if uri:
        session.add(SitePrinter(site_id=site.id, uri=uri) if printer is None else printer)  # type: ignore[arg-type]
        if printer is not None:
            printer.uri = uri
    elif printer is not None:
        session.delete(printer)
    session.flush()
    after = _settings(session, site)
    record(session, actor=actor, action="site_add" if before is None else "site_change", now=now,
           detail=f"{site.name}: " + (settings_of(after) if before is None else changes(before, after)))
    session.commit()
    return site
