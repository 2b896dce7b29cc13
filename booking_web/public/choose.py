"""The place, date and time pages, shared by a new booking and by changing a booking."""

from __future__ import annotations

import datetime as dt
from typing import Any

from flask import redirect, render_template, request
from werkzeug.wrappers import Response

from booking_web.context import db, now, settings
from booking_web.messages import words
from booking_web.public.journey import Flow, take_error
from booking_web.services import availability
from booking_web.services.appointment_summary import site_by_id, type_by_code
from shared.errors import problem
from shared.locales import format_decimal
from shared.locales import gettext as _
from shared.timeutil import format_date, format_time, london_today, to_local

DATES_SHOWN = 10  # dates listed before "Show more dates": a long list is hard work on a phone
# Places listed, nearest first, before "Show more places" (as the NHS website's service finders
# do): only the shown places are searched for their earliest time, so the page's cost does not
# grow with the number of places the service runs.
PLACES_SHOWN = 10
MAX_PAGES = 1_000  # ?places= is typed by anyone: at most this many pages of places


def _step_endpoint(flow: Flow, name: str) -> str:
    return next(s.endpoint for s in flow.steps if s.name == name)


def _window(data: dict[str, Any]) -> tuple[dt.date, dt.date] | None:
    """A test request's first and last dates, when the journey books for one (the invitation
    link): only times inside them are offered."""
    try:
        return dt.date.fromisoformat(data["earliest"]), dt.date.fromisoformat(data["latest"])
    except (KeyError, TypeError, ValueError):
        return None


def _int(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) < 10 else None


def _places_shown(raw: str | None) -> int:
    """How many places to show: ?places=N (N a whole number of pages of PLACES_SHOWN), else one
    page; anything else is one page too."""
    asked = _int(raw) or PLACES_SHOWN
    pages = -(-asked // PLACES_SHOWN)
    return PLACES_SHOWN * max(1, min(pages, MAX_PAGES))


def site_page(flow: Flow) -> Response | str:
    """Choose a place: the nearest PLACES_SHOWN when the postcode is known, else the first A to Z,
    each with its earliest free time for the test, and "Show more places" for the next ones."""
    blocked = flow.guard("site")
    if blocked:
        return blocked
    data = flow.data()
    postcode = data.get("postcode") or ""
    shown = _places_shown(request.args.get("places"))
    posted = _int(request.form.get("site_id")) if request.method == "POST" else None
    # Always listed: the place the appointment is at now (when changing), the one chosen before,
    # and the one just posted (any place that runs clinics for the test will do, shown on this
    # page or not: a page kept open while places were added).
    keep = {s for s in (data.get("current_site_id"), data.get("site_id"), posted) if isinstance(s, int)}
    found_places = availability.search_places(
        session=db(), postcode=postcode or None, type_code=data["type"], now=now(),
        settings=settings(), window=_window(data), limit=shown, include=keep,
    )
    firsts = found_places.places
    found = any(first.site.miles is not None for first in firsts)  # miles only for a known postcode
    atype = type_by_code(session=db(), code=data["type"])
    errors: dict[str, str] = take_error(_step_endpoint(flow, "site"))
    chosen: Any = data.get("site_id")
    if request.method == "POST":
        chosen = posted
        if chosen is None or chosen not in {first.site.site.id for first in firsts}:
            errors = {"site_id": words(problem("place_missing"))}
        else:
            data = flow.answer(data, site_id=chosen)
            return redirect(flow.next_url("site", data))
    items = []
    weeks = settings().booking_horizon_days // 7
    for first in firsts:
        sd = first.site
        hint = []
        if sd.site.id == data.get("current_site_id"):
            hint.append(_("Your appointment is here now"))
        elif sd.miles is not None and "current_site_id" not in data:
            hint.append(_("%(miles)s miles away") % {"miles": format_decimal(sd.miles, "0.0")})
        hint.append(_earliest_hint(first.slots, weeks, today=london_today(now())))
        hint.append(f"{sd.site.address}, {sd.site.postcode}")
        if sd.site.access_notes:
            hint.append(sd.site.access_notes)
        items.append({"value": sd.site.id, "text": sd.site.name, "hint": hint, "bold": True})
    more = found_places.more
    return render_template(
        "public/site.html",
        flow=flow,
        errors=errors,
        items=items,
        chosen=chosen,
        postcode=postcode,
        postcode_found=found,
        atype=atype,
        more_url=flow.here(_step_endpoint(flow, "site"), places=shown + PLACES_SHOWN,
                           _anchor=f"site_id-{shown + 1}") if more else None,
        back_url=flow.back_url("site"),
        postcode_url=flow.here(_step_endpoint(flow, "postcode"))
        if _has(flow, "postcode")
        else None,
    ), (400 if errors and request.method == "POST" else 200)  # type: ignore[return-value]


def _earliest_hint(slots: list[availability.FreeSlot], weeks: int, *, today: dt.date) -> str:
    """'Earliest time: Tuesday 24 November 2026 at 8:10am' ('today, ...' and 'tomorrow, ...'
    said as such), so a patient can weigh a shorter journey against a longer wait."""
    if not slots:
        return _("No times free in the next %(weeks)s weeks") % {"weeks": weeks}
    starts = slots[0].starts_at
    day = to_local(starts).date()
    when = {"date": format_date(day), "time": format_time(starts)}
    if day == today:
        return _("Earliest time: today, %(date)s at %(time)s") % when
    if day == today + dt.timedelta(days=1):
        return _("Earliest time: tomorrow, %(date)s at %(time)s") % when
    return _("Earliest time: %(date)s at %(time)s") % when


def _has(flow: Flow, name: str) -> bool:
    return any(s.name == name for s in flow.steps)


def date_page(flow: Flow) -> Response | str:
    """Choose a date: only dates with a free time for this test, within the booking window (and
    the test request's window, when booking for one)."""
    blocked = flow.guard("date")
    if blocked:
        return blocked
    data = flow.data()
    site = site_by_id(session=db(), site_id=data["site_id"])
    if site is None:
        data.pop("site_id", None)
        flow.save(data)
        return redirect(flow.here(_step_endpoint(flow, "site")))
    dates = availability.free_dates(
        session=db(),
        site_id=site.id,
        type_code=data["type"],  # type: ignore[arg-type]
        now=now(),
        settings=settings(),
        window=_window(data),
    )
    errors: dict[str, str] = take_error(_step_endpoint(flow, "date"))
    chosen = data.get("date")
    if request.method == "POST":
        chosen = request.form.get("date", "")
        if chosen not in {d.isoformat() for d in dates}:
            errors = {"date": words(problem("day_missing"))}
        else:
            data = flow.answer(data, date=chosen)
            return redirect(flow.next_url("date", data))
    show_all = request.args.get("all") == "1" or len(dates) <= DATES_SHOWN + 2
    if chosen and not show_all and chosen in {d.isoformat() for d in dates[DATES_SHOWN:]}:
        show_all = True
    shown = dates if show_all else dates[:DATES_SHOWN]
    today = london_today(now())
    names = {today: " " + _("(today)"), today + dt.timedelta(days=1): " " + _("(tomorrow)")}
    items = [{"value": d.isoformat(), "text": format_date(d) + names.get(d, "")} for d in shown]
    return render_template(
        "public/date.html",
        flow=flow,
        errors=errors,
        items=items,
        chosen=chosen,
        site=site,
        more_url=None if show_all else flow.here(_step_endpoint(flow, "date"), all="1"),
        weeks=settings().booking_horizon_days // 7,
        window=_window(data),
        back_url=flow.back_url("date"),
        site_url=flow.here(_step_endpoint(flow, "site")),
    ), (400 if errors and request.method == "POST" else 200)  # type: ignore[return-value]


def time_page(flow: Flow) -> Response | str:
    """Choose a time on the chosen date."""
    blocked = flow.guard("time")
    if blocked:
        return blocked
    data = flow.data()
    site = site_by_id(session=db(), site_id=data["site_id"])
    try:
        day = dt.date.fromisoformat(data["date"])
    except (TypeError, ValueError):
        day = None
    if site is None or day is None:
        data.pop("date", None)
        flow.save(data)
        return redirect(flow.here(_step_endpoint(flow, "date")))
    atype = type_by_code(session=db(), code=data["type"])
    slots = availability.free_slots(
        session=db(),
        site_id=site.id,
        day=day,
        type_code=data["type"],  # type: ignore[arg-type]
        now=now(),
        settings=settings(),
        window=_window(data),
    )
    errors: dict[str, str] = take_error(_step_endpoint(flow, "time"))
    chosen: Any = data.get("slot_id")
    if request.method == "POST":
        chosen = _int(request.form.get("slot_id"))
        picked = next((s for s in slots if s.slot_id == chosen), None)
        if picked is None:
            errors = {"slot_id": words(problem("time_missing"))}
        else:
            data = flow.answer(data, slot_id=picked.slot_id, starts_at=picked.starts_at.isoformat())
            return redirect(flow.next_url("time", data))
    items: list[dict[str, Any]] = []
    previous_hour: int | None = None
    for s in _one_per_time(slots, chosen):
        local = to_local(s.starts_at)
        item: dict[str, Any] = {"value": s.slot_id, "text": format_time(s.starts_at)}
        if previous_hour is None and local.hour < 12:
            item["heading"] = _("Morning")
        elif local.hour >= 12 and (previous_hour is None or previous_hour < 12):
            item["heading"] = _("Afternoon")
        previous_hour = local.hour
        items.append(item)
    return render_template(
        "public/time.html",
        flow=flow,
        errors=errors,
        items=items,
        chosen=chosen,
        site=site,
        atype=atype,
        date_text=format_date(day),
        back_url=flow.back_url("time"),
        date_url=flow.here(_step_endpoint(flow, "date")),
    ), (400 if errors and request.method == "POST" else 200)  # type: ignore[return-value]


def _one_per_time(slots: list[availability.FreeSlot], chosen: Any) -> list[availability.FreeSlot]:
    """One radio per start time: two clinics at the same place and time would otherwise give two
    radios with the same label, which a screen reader user cannot tell apart. The slot already
    chosen is kept, so it stays checked; any of the others books the same time and place."""
    by_time: dict[Any, availability.FreeSlot] = {}
    for s in slots:
        if s.starts_at not in by_time or s.slot_id == chosen:
            by_time[s.starts_at] = s
    return list(by_time.values())
