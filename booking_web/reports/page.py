"""A report shaped for the page: sections, each with a text summary, a chart (SVG) where one
helps, and its tables (the same numbers, for screen readers and for the CSV downloads)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from booking_web.reports import charts
from booking_web.reports.figures import Percentiles, Report, Use
from booking_web.reports.tables import (
    NONE,
    Cell,
    Table,
    count,
    days,
    hour_span,
    hour_words,
    label,
    long_date,
    minutes,
    percent,
    short_date,
    table,
)

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
CHANNELS = {"web": "Online (public booking site)", "api": "Partner systems (API)", "staff": "Staff",
            "kiosk": "Kiosk", "hl7": "Order comms (HL7)", "fhir": "FHIR",
            "": "Not recorded (booked before channels were recorded)"}
CANCELLED_BY = {"patient": "The patient (or a partner system for them)", "staff": "Staff",
                "service": "The service (clinic closed)", "unknown": "Not recorded"}
TEMPLATES = {"booked": "Booking confirmation", "changed": "Change of time", "cancelled": "Cancellation",
             "closed": "Clinic closed", "reminder": "Reminder", "waitlist_offer": "Earlier time offered"}
LEAD_BANDS = ((0, 0, "Same day"), (1, 1, "1 day"), (2, 3, "2 to 3 days"), (4, 7, "4 to 7 days"),
              (8, 14, "8 to 14 days"), (15, 28, "15 to 28 days"), (29, None, "More than 28 days"))
DAILY_UP_TO = 62  # longer periods are charted and tabled week by week


@dataclass(frozen=True)
class Section:
    """One part of the report page."""

    slug: str
    heading: str
    summary: str
    chart: Markup | None
    tables: tuple[Table, ...]
    definition: str = ""


def _share(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "none"


def _n(value: int) -> str:
    return f"{value:,}"


def key_figures(report: Report) -> Section:
    """The headline numbers."""
    o, lead = report.outcomes, report.lead
    made = sum(report.made.values())
    waits = report.waits["to_call"]
    rows = [
        [label("Bookings made"), count(made)],
        [label("Appointments (not cancelled)"), count(o.appointments)],
        [label("Attended"), count(o.attended)],
        [label("Did not attend (DNA)"), count(o.dna)],
        [label("DNA rate (of attended and DNA)"), percent(o.dna, o.attended + o.dna)],
        [label("Still booked (to come, or not yet marked)"), count(o.awaiting)],
        [label("Cancelled"), count(o.cancelled)],
        [label("Walk-ins"), count(o.walk_ins)],
        [label("Median wait from check-in to being called"), minutes(waits.median)],
        [label("Median lead time (booking to appointment)"), days(lead.median)],
    ]
    rate = o.dna_rate
    summary = (f"{_n(made)} bookings were made. Of {_n(o.appointments)} appointments, {_n(o.attended)} "
               f"attended and {_n(o.dna)} did not attend"
               + (f" (a DNA rate of {100 * rate:.1f}%)." if rate is not None else ".")
               + f" {_n(o.cancelled)} were cancelled.")
    return Section("key-figures", "Key figures", summary, None,
                   (table("key-figures", "Key figures", ["Figure", "Number"], rows),))


def channels(report: Report) -> Section:
    """Bookings made, by how they were made."""
    total = sum(report.made.values())
    order = [c for c in CHANNELS if c in report.made or c in ("web", "api", "staff")]
    rows = [[label(CHANNELS[c]), count(report.made.get(c, 0)), percent(report.made.get(c, 0), total)]
            for c in order]
    rows.append([label("All channels"), count(total), percent(total, total)])
    top = max(order, key=lambda c: report.made.get(c, 0))
    summary = (f"{_n(total)} bookings were made in the period"
               + (f"; the most through one channel: {CHANNELS[top].split(' (')[0].lower()} "
                  f"({_share(report.made.get(top, 0), total)})." if total else "."))
    return Section("channels", "Bookings made, by channel", summary, None,
                   (table("bookings-by-channel", "Bookings made, by channel",
                          ["Channel", "Bookings", "Share"], rows),),
                   "Bookings made in the period (by the day they were made), walk-ins not included. "
                   "Order comms (HL7) and FHIR appear once those interfaces book.")


@dataclass(frozen=True)
class _Bar:
    """One bar of the attendance chart and its row of the table."""

    tick: str  # under the bar
    row: str  # the row heading
    first: dt.date  # the CSV's value for the row
    words: str  # in the summary
    attended: int
    dna: int


def _bars(daily: Sequence[tuple[dt.date, int, int]]) -> tuple[str, list[_Bar]]:
    """A bar a day, or for long periods a bar a Monday-to-Sunday week (the first and last may
    be part weeks, named by their first day)."""
    if len(daily) <= DAILY_UP_TO:
        return "Day", [_Bar(short_date(d), f"{d:%a} {short_date(d)}", d, f"on {long_date(d)}", a, n)
                       for d, a, n in daily]
    weeks: dict[dt.date, list[int]] = {}
    starts: dict[dt.date, dt.date] = {}
    for day, attended, dna in daily:
        monday = day - dt.timedelta(days=day.weekday())
        starts.setdefault(monday, day)
        weeks.setdefault(monday, [0, 0])
        weeks[monday][0] += attended
        weeks[monday][1] += dna
    return "Week", [_Bar(short_date(starts[m]), f"Week of {short_date(starts[m])}", starts[m],
                         f"in the week of {long_date(starts[m])}", a, n) for m, (a, n) in weeks.items()]


def attendance(report: Report) -> Section:
    """Attended and DNA day by day (week by week for long periods)."""
    unit, bars = _bars(report.daily)
    heading = f"Attended and did not attend, by {unit.lower()}"
    rows = [[label(b.row, b.first), count(b.attended), count(b.dna), percent(b.dna, b.attended + b.dna)]
            for b in bars]
    seen = [b for b in bars if b.attended + b.dna]
    o = report.outcomes
    summary = f"{_n(o.attended)} patients attended and {_n(o.dna)} did not attend"
    summary += (f" (DNA rate {100 * o.dna_rate:.1f}%)." if o.dna_rate is not None else ".")
    if seen:
        worst = max(seen, key=lambda b: (b.dna / (b.attended + b.dna), b.dna))
        summary += f" The highest DNA rate was {worst.words}: {_share(worst.dna, worst.attended + worst.dna)}."
    chart = charts.stacked_bars("chart-attendance", heading, summary, [b.tick for b in bars],
                                [("Attended", [b.attended for b in bars]),
                                 ("Did not attend", [b.dna for b in bars])])
    return Section("attendance", heading, summary, chart,
                   (table("attendance", heading, [unit, "Attended", "Did not attend", "DNA rate"], rows),),
                   "Attended: checked in. Did not attend: still booked when the clinic session ended. "
                   "DNA rate: did not attend out of attended and did not attend.")


def cancellations(report: Report) -> Section:
    """Cancellations by how late and by whom."""
    o = report.outcomes
    late = [("On the day of the appointment", o.cancelled_same_day),
            ("Less than 48 hours before (not on the day)", o.cancelled_within_48h),
            ("48 hours or more before", o.cancelled_earlier)]
    rows = [[label(words), count(n), percent(n, o.cancelled)] for words, n in late]
    rows.append([label("All cancellations"), count(o.cancelled), percent(o.cancelled, o.cancelled)])
    who = [[label(CANCELLED_BY.get(k, k)), count(n), percent(n, o.cancelled)]
           for k, n in sorted(o.cancelled_by.items(), key=lambda kv: -kv[1])]
    short = o.cancelled_same_day + o.cancelled_within_48h
    summary = (f"{_n(o.cancelled)} appointments in the period were cancelled; {_n(short)} of them "
               f"({_share(short, o.cancelled)}) less than 48 hours before or on the day, too late for "
               "most patients to take the chair.")
    return Section("cancellations", "Cancellations", summary, None, (
        table("cancellations-by-notice", "Cancellations, by how late", ["When", "Cancellations", "Share"], rows),
        table("cancellations-by-whom", "Cancellations, by who cancelled", ["Who", "Cancellations", "Share"], who),
    ))


def utilisation(report: Report) -> Section:
    """Chairs booked and attended out of chairs offered: heat map by weekday and hour, and by site."""
    cells = report.by_slot_time
    hours = sorted({h for (_w, h), u in cells.items() if u.offered})
    weekdays = sorted({w for (w, _h), u in cells.items() if u.offered})
    grid: list[list[tuple[float, str] | None]] = []
    rows: list[list[Cell]] = []
    for w in weekdays:
        line: list[tuple[float, str] | None] = []
        row = [label(WEEKDAYS[w])]
        for h in hours:
            use = cells.get((w, h), Use())
            cell = percent(use.booked, use.offered)
            line.append((float(cell.value), f"{cell.value:.0f}%") if use.offered else None)  # type: ignore[arg-type]
            row.append(cell)
        grid.append(line)
        rows.append(row)
    total = Use(*(sum(getattr(u, f) for u in report.by_site.values()) for f in ("offered", "booked", "attended")))
    filled = [(u.booked / u.offered, k) for k, u in cells.items() if u.offered]
    summary = (f"{_share(total.booked, total.offered)} of the {_n(total.offered)} chairs offered were booked, "
               f"and {_share(total.attended, total.offered)} were used by a patient who attended.")
    if filled:
        (hi, (hw, hh)), (lo, (lw, lh)) = max(filled), min(filled)
        summary += (f" The fullest time was {WEEKDAYS[hw]} {hour_span(hh)} ({100 * hi:.0f}% booked); "
                    f"the emptiest {WEEKDAYS[lw]} {hour_span(lh)} ({100 * lo:.0f}%).")
    heading = "Chairs booked, by weekday and hour"
    chart = charts.heat_map("chart-utilisation", heading, summary,
                            charts.Grid([WEEKDAYS[w] for w in weekdays], [hour_words(h) for h in hours], grid))
    names = report.site_names
    by_site = [[label(names.get(s, f"Site {s}")), count(u.offered), count(u.booked), percent(u.booked, u.offered),
                count(u.attended), percent(u.attended, u.offered)]
               for s, u in sorted(report.by_site.items(), key=lambda kv: names.get(kv[0], ""))]
    by_site.append([label("All sites in the report"), count(total.offered), count(total.booked),
                    percent(total.booked, total.offered), count(total.attended),
                    percent(total.attended, total.offered)])
    return Section("utilisation", "Utilisation", summary, chart, (
        table("utilisation-by-time", heading + " (share of chairs offered)",
              ["Weekday", *(hour_words(h) for h in hours)], rows),
        table("utilisation-by-site", "Chairs offered, booked and attended, by site",
              ["Site", "Chairs offered", "Booked", "Booked share", "Attended", "Attended share"], by_site),
    ), "Chairs offered: the places in the clinic sessions' slots. Booked: not cancelled (walk-ins "
       "not included). Hours are the slots' start times, in UK time.")


def waits(report: Report) -> Section:
    """Waits by hour of check-in: median and 90th percentile of each stage."""
    stages = ("to_call", "to_collect", "total")
    hours = sorted(set().union(*(report.waits_by_hour[s] for s in stages)))
    empty = Percentiles(0, None, None)
    rows = []
    for h in hours:
        row = [label(hour_span(h)), count(report.waits_by_hour["total"].get(h, report.waits_by_hour["to_call"].get(h, empty)).count)]
        for s in stages:
            p = report.waits_by_hour[s].get(h, empty)
            row += [minutes(p.median), minutes(p.p90)]
        rows.append(row)
    every = [label("All hours"), count(report.waits["total"].count or report.waits["to_call"].count)]
    for s in stages:
        every += [minutes(report.waits[s].median), minutes(report.waits[s].p90)]
    rows.append(every)
    call = report.waits["to_call"]
    summary = "No patient was called in the period."
    if call.count:
        summary = (f"Half of the {_n(call.count)} patients called were called within {call.median} minutes "
                   f"of checking in, and 9 in 10 within {call.p90} minutes.")
        worst = max(report.waits_by_hour["to_call"].items(), key=lambda kv: kv[1].p90 or 0)
        summary += (f" The longest waits were for patients checking in between {hour_words(worst[0])} and "
                    f"{hour_words((worst[0] + 1) % 24)} (90th percentile {worst[1].p90} minutes).")
    heading = "Wait from check-in to being called, by hour of check-in"
    chart = charts.lines("chart-waits", heading, summary, [hour_words(h) for h in hours], [
        ("Median", [report.waits_by_hour["to_call"].get(h, empty).median for h in hours]),
        ("90th percentile", [report.waits_by_hour["to_call"].get(h, empty).p90 for h in hours]),
    ], " min")
    return Section("waits", "Waiting times", summary, chart, (table(
        "waits-by-hour", "Waits by hour of check-in (minutes)",
        ["Checked in", "Patients", "To call: median", "To call: 90th", "Call to blood taken: median",
         "Call to blood taken: 90th", "In all: median", "In all: 90th"], rows),),
        "Whole minutes: from check-in to being called, from being called to the blood being taken, and "
        "from check-in to the blood being taken. Median: half waited this long or less; 90th: 9 in 10 "
        "did. Patients: those whose blood was taken (or, if none, those called).")


def lead_time(report: Report) -> Section:
    """Days between booking and appointment."""
    lead = report.lead
    rows = []
    for low, high, words in LEAD_BANDS:
        n = sum(c for d, c in report.lead_days.items() if d >= low and (high is None or d <= high))
        rows.append([label(words), count(n), percent(n, lead.count)])
    rows.append([label("All bookings"), count(lead.count), percent(lead.count, lead.count)])
    summary = (f"Half of the {_n(lead.count)} appointments were booked {lead.median} days or less ahead, "
               f"and 9 in 10 within {lead.p90} days." if lead.count else "No appointments in the period.")
    return Section("lead-time", "Lead time: booking to appointment", summary, None,
                   (table("lead-time", "Appointments by how far ahead they were booked",
                          ["Booked ahead", "Appointments", "Share"], rows),),
                   "Calendar days from the day the booking was made to the day of the appointment "
                   "(not cancelled, walk-ins not included).")


def messages(report: Report) -> Section:
    """Messages to patients by kind and what happened to them."""
    rows = []
    totals = [0, 0, 0, 0]
    for template in sorted(report.messages, key=lambda t: list(TEMPLATES).index(t) if t in TEMPLATES else 99):
        by = report.messages[template]
        figures = [by.get("sent", 0), by.get("failed", 0), by.get("pending", 0) + by.get("sending", 0),
                   by.get("skipped", 0)]
        totals = [a + b for a, b in zip(totals, figures, strict=True)]
        rows.append([label(TEMPLATES.get(template, template)), *(count(n) for n in figures)])
    rows.append([label("All messages"), *(count(n) for n in totals)])
    reminders = report.messages.get("reminder", {})
    summary = (f"{_n(reminders.get('sent', 0))} reminders were sent and {_n(reminders.get('failed', 0))} failed. "
               f"In all {_n(totals[0])} messages were sent and {_n(totals[1])} failed.")
    return Section("messages", "Messages to patients", summary, None, (table(
        "messages", "Texts and emails about the period's appointments",
        ["Message", "Sent", "Failed", "Waiting to send", "Not needed"], rows),),
        "Not needed: the appointment changed or was cancelled before the message went.")


def labels(report: Report) -> Section:
    """Tube labels printed, reprinted, not confirmed, and to hand-label."""
    words = {"printed": "Printed and confirmed by the printer", "reprinted": "Reprinted by staff (confirmed)",
             "not_printed": "Not confirmed by the printer", "hand_labelled": "Transfusion samples to hand-label at the chair"}
    rows = [[label(w), count(report.labels[k])] for k, w in words.items()]
    lab = report.labels
    summary = (f"{_n(lab['printed'])} labels were printed, {_n(lab['reprinted'])} reprinted and "
               f"{_n(lab['not_printed'])} not confirmed by a printer; {_n(lab['hand_labelled'])} transfusion "
               "samples were for hand-labelling.")
    return Section("labels", "Tube labels", summary, None,
                   (table("labels", "Tube labels for the period's appointments", ["Labels", "Number"], rows),))


def present(report: Report) -> list[Section]:
    """Every section of the page, in order."""
    return [key_figures(report), channels(report), attendance(report), cancellations(report),
            utilisation(report), waits(report), lead_time(report), messages(report), labels(report)]


def find_table(report: Report, slug: str) -> Table | None:
    """The table with this slug (for its CSV), or None."""
    return next((t for s in present(report) for t in s.tables if t.slug == slug), None)


__all__ = ["NONE", "Section", "find_table", "present"]
