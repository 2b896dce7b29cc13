"""Question pages, declared once: a journey's state kept in the signed session cookie (which
questions are answered, where to go next), one view that runs every question page (show, read
and check the form, record the answer, move on), the date-of-birth field every form shares, and
errors carried from one page to another (e.g. 'that time has just been taken')."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import now
from booking_web.messages import words
from shared.errors import BookingError, Problem
from shared.locales import gettext
from shared.timeutil import london_today
from shared.validation import parse_date_parts

MANAGE_MINUTES = 15  # how long a looked-up booking stays open in this browser without use


_FINISHED = "_finished"
GIVEN = "_given"  # answers that came from elsewhere (NHS login): shown, never asked or changed


def given_answers(data: dict[str, Any]) -> frozenset[str]:
    """The answers the patient did not type and may not change (their pages are skipped)."""
    return frozenset(data.get(GIVEN) or ())


def _always(_data: dict[str, Any]) -> bool:
    return True


def _nothing(_data: dict[str, Any]) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class Reply:
    """What a question page read from its form: the values to show again, the problems found
    (field id -> message, in page order) and, when there are none, the answers to record."""

    shown: dict[str, Any]
    errors: dict[str, str] = field(default_factory=dict)
    answers: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Question:
    """What one question page asks: its template, the values it shows from the answers so far
    (`shown`), how it reads and checks its form (`read`), what else its template needs
    (`context`), and which of a service's field problems it is the page to fix (service field
    name -> this page's field id)."""

    template: str
    shown: Callable[[dict[str, Any]], dict[str, Any]]
    read: Callable[[Mapping[str, str], dict[str, Any]], Reply]
    context: Callable[[dict[str, Any]], dict[str, Any]] = _nothing
    fixes: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Step:
    """One page of a journey; it counts as answered when every key is in the journey data.
    A step with a `question` is shown by `ask`; the others (place, date, time) have views of
    their own."""

    name: str
    endpoint: str
    keys: tuple[str, ...]
    applies: Callable[[dict[str, Any]], bool] = _always
    question: Question | None = None


@dataclass(frozen=True)
class Flow:
    """An ordered set of question pages ending at a check page, stored under one session key."""

    key: str
    steps: tuple[Step, ...]
    final: str  # endpoint of the check page
    start: str  # endpoint before the first question (for the first Back link)
    caption: str
    invalidates: dict[str, tuple[str, ...]] = field(default_factory=dict)
    context: Callable[[dict[str, Any]], dict[str, Any]] = _nothing  # for every page's template
    done: str | None = None  # endpoint of the page a finished journey's pages lead to
    # Error messages in this journey's words (a parent booking a child's test reads "their").
    reword: Callable[[dict[str, Any], str], str] = lambda _data, message: message

    def data(self) -> dict[str, Any]:
        """This journey's answers so far (a copy)."""
        return dict(session.get(self.key) or {})

    def save(self, data: dict[str, Any]) -> None:
        """Store the answers."""
        session[self.key] = data

    def clear(self) -> None:
        """Forget the journey."""
        session.pop(self.key, None)

    def finish(self) -> None:
        """The journey is over (the booking is made): its answers are forgotten, and its pages
        (reached again by Back) lead to the `done` page instead of a blank first question."""
        session[self.key] = {_FINISHED: True}

    def give(self, data: dict[str, Any], **values: Any) -> dict[str, Any]:
        """Record answers that came from elsewhere (NHS login): pre-filled and not editable,
        so the pages that ask only for them are skipped and cannot be posted to."""
        data.update(values)
        data[GIVEN] = sorted(given_answers(data) | set(values))
        self.save(data)
        return data

    def answer(self, data: dict[str, Any], **values: Any) -> dict[str, Any]:
        """Record answers; a changed answer clears the answers that depended on it. A given
        answer is never changed."""
        given = given_answers(data)
        values = {k: v for k, v in values.items() if k not in given}
        for name, value in values.items():
            if name in data and data[name] != value:
                for dependent in self.invalidates.get(name, ()):
                    data.pop(dependent, None)
            data[name] = value
        self.save(data)
        return data

    def step(self, name: str) -> Step:
        """The step called `name`."""
        return next(s for s in self.steps if s.name == name)

    def _applicable(self, data: dict[str, Any]) -> list[Step]:
        given = given_answers(data)
        return [s for s in self.steps
                if s.applies(data) and not (s.keys and set(s.keys) <= given)]

    def first_missing(self, data: dict[str, Any]) -> Step | None:
        """The first question not yet answered."""
        for step in self._applicable(data):
            if any(k not in data for k in step.keys):
                return step
        return None

    def guard(self, name: str) -> Response | None:
        """A redirect to the first unanswered earlier question, or None when this page may show.
        Every page of a finished journey leads to its `done` page."""
        data = self.data()
        if data.get(_FINISHED) and self.done:
            return redirect(url_for(self.done))
        for step in self._applicable(data):
            if step.name == name:
                return None
            if any(k not in data for k in step.keys):
                return redirect(url_for(step.endpoint))
        if name == "check":
            return None
        return redirect(url_for(self.steps[0].endpoint))

    def from_check(self) -> bool:
        """True when the patient came here from a Change link on the check page."""
        return request.args.get("from") == "check"

    def next_url(self, name: str, data: dict[str, Any]) -> str:
        """Where to go after answering `name`."""
        if self.from_check():
            missing = self.first_missing(data)
            return (
                url_for(missing.endpoint, **{"from": "check"}) if missing else url_for(self.final)
            )
        steps = self._applicable(data)
        names = [s.name for s in steps]
        index = names.index(name) if name in names else -1
        return url_for(steps[index + 1].endpoint) if index + 1 < len(steps) else url_for(self.final)

    def back_url(self, name: str) -> str:
        """The Back link for `name`."""
        if self.from_check():
            return url_for(self.final)
        steps = self._applicable(self.data())
        names = [s.name for s in steps]
        if name == "check":
            return url_for(steps[-1].endpoint)
        index = names.index(name) if name in names else 0
        return url_for(steps[index - 1].endpoint) if index > 0 else url_for(self.start)

    def here(self, endpoint: str, **values: Any) -> str:
        """A URL that keeps the 'from the check page' marker."""
        if self.from_check():
            values["from"] = "check"
        return url_for(endpoint, **values)


def text_question(
    key: str,
    template: str,
    clean: Callable[[str, dict[str, Any]], tuple[str, Problem | None]],
    *,
    longest: int = 40,
    shown: Callable[[dict[str, Any]], str] | None = None,
    fixes: Mapping[str, str] | None = None,
) -> Question:
    """A page with one text box, `key`: `clean` turns what was typed into the answer, or gives
    the problem (and the text to show again). `shown` shows a saved answer (default: as is)."""

    def read(form: Mapping[str, str], data: dict[str, Any]) -> Reply:
        value, wrong = clean((form.get(key) or "")[:longest], data)
        if wrong:
            return Reply({"value": value}, {key: words(wrong)})
        return Reply({"value": value}, answers={key: value})

    def show(data: dict[str, Any]) -> dict[str, Any]:
        return {"value": shown(data) if shown else data.get(key, "")}

    return Question(template, shown=show, read=read, fixes=fixes or {})


def choice_question(
    key: str,
    items: Callable[[dict[str, Any]], list[dict[str, Any]]],
    *,
    title: Callable[[dict[str, Any]], str],
    hint: str,
    error: Callable[[dict[str, Any]], str],
) -> Question:
    """A page of radios, `key`, one of `items` (value, text, optional hint) to choose."""

    def read(form: Mapping[str, str], data: dict[str, Any]) -> Reply:
        chosen = form.get(key, "")
        if chosen not in {str(item["value"]) for item in items(data)}:
            return Reply({"value": chosen}, {key: error(data)})
        return Reply({"value": chosen}, answers={key: chosen})

    return Question(
        "public/radios_question.html",
        shown=lambda data: {"value": data.get(key)},
        read=read,
        context=lambda data: {
            "name": key,
            "items": items(data),
            "title": title(data),
            "hint": gettext(hint),
        },
    )


def ask(flow: Flow, name: str) -> Response | tuple[str, int]:
    """Every question page: the first unanswered earlier question if there is one; else the
    page with the answer so far (GET), or the answer read, checked and recorded before moving on
    (POST; a problem shows the page again with the error, answering 400)."""
    blocked = flow.guard(name)
    if blocked:
        return blocked
    step = flow.step(name)
    question = step.question
    assert question is not None, f"{name} has a view of its own"
    data = flow.data()
    errors = take_error(step.endpoint)
    shown = question.shown(data)
    if request.method == "POST":
        reply = question.read(request.form, data)
        if not reply.errors:
            data = flow.answer(data, **reply.answers)
            return redirect(flow.next_url(name, data))
        shown, errors = reply.shown, reply.errors
    status = 400 if errors and request.method == "POST" else 200
    page = render_template(
        question.template,
        flow=flow,
        errors={field_id: flow.reword(data, message) for field_id, message in errors.items()},
        back_url=flow.back_url(name),
        **flow.context(data),
        **question.context(data),
        **shown,
    )
    return page, status


def to_page_that_fixes(flow: Flow, exc: BookingError) -> Response | None:
    """Send the patient to the question page that asks for the field a service refused, with its
    message there; None when no page of this journey asks for it."""
    for name, found in exc.fields.items():
        for step in flow.steps:
            if step.question is not None and name in step.question.fixes:
                shown = words(exc if exc.code == "identity_mismatch" else found)
                carry_error(step.endpoint, step.question.fixes[name], shown)
                return redirect(url_for(step.endpoint, **{"from": "check"}))
    return None


def back_to_time(flow: Flow, message: str) -> Response:
    """The chosen time can no longer be booked (taken a moment ago, too soon, ...): forget it and
    show the time page again with `message`. When questions after the time are already
    answered, choosing a new time leads straight back to the check page."""
    data = flow.data()
    data.pop("slot_id", None)
    data.pop("starts_at", None)
    flow.save(data)
    time = flow.step("time")
    carry_error(time.endpoint, "slot_id", message)
    later = flow.steps.index(time) < len(flow.steps) - 1
    return redirect(url_for(time.endpoint, **({"from": "check"} if later else {})))


# The date-of-birth field of every form (three boxes: day, month, year).


@dataclass(frozen=True)
class DateOfBirth:
    """A date of birth read from the three boxes named `<prefix>-day`, `-month` and `-year`:
    the values to show again, the date or the problem, and which boxes to mark."""

    values: dict[str, str]
    date: dt.date | None
    error: str | None
    parts_in_error: tuple[str, ...]

    @classmethod
    def blank(cls) -> DateOfBirth:
        """Three empty boxes."""
        return cls({"day": "", "month": "", "year": ""}, None, None, ())

    @property
    def field_id(self) -> str:
        """The box an error summary links to: the first one in error."""
        return f"dob-{(self.parts_in_error or ('day',))[0]}"


def read_date_of_birth(
    form: Mapping[str, str],
    *,
    check: Callable[[dt.date], Problem | None] | None = None,
    prefix: str = "dob",
) -> DateOfBirth:
    """Read the date-of-birth boxes of a form; `check` may refuse a real date (an age rule)."""
    values = {p: (form.get(f"{prefix}-{p}") or "")[:10] for p in ("day", "month", "year")}
    date, wrong = parse_date_parts(
        values["day"], values["month"], values["year"], today=london_today(now())
    )
    if wrong is None and date is not None and check is not None:
        wrong = check(date)
    if wrong is None:
        return DateOfBirth(values, date, None, ())
    return DateOfBirth(values, None, words(wrong), _parts_in_error(wrong))


def date_of_birth_values(saved: str | None) -> dict[str, str]:
    """The three boxes filled from a saved ISO date ('1970-05-17' -> 17, 5, 1970)."""
    if not saved:
        return {}
    date = dt.date.fromisoformat(saved)
    return {"day": str(date.day), "month": str(date.month), "year": str(date.year)}


def _parts_in_error(wrong: Problem) -> tuple[str, ...]:
    """Which boxes to mark: the missing ones, the year alone, or (empty) all three."""
    if wrong.code == "dob_incomplete":
        return tuple(wrong.params["missing"])
    if wrong.code == "dob_year_digits":
        return ("year",)
    return ()


# Errors carried across a redirect, shown once by the page they belong to.


def carry_error(endpoint: str, field_id: str, message: str) -> None:
    """Show `message` against `field_id` the next time `endpoint` is displayed."""
    session["_page_error"] = {"endpoint": endpoint, "field": field_id, "message": message}


def take_error(endpoint: str) -> dict[str, str]:
    """The carried error for this page, if any (it is then forgotten)."""
    carried = session.get("_page_error")
    if carried and carried.get("endpoint") == endpoint:
        session.pop("_page_error", None)
        return {carried["field"]: carried["message"]}
    return {}


def client_ip() -> str:
    """The address the request came from (a proxy in front must set it; see ProxyFix)."""
    return request.remote_addr or "unknown"


# The booking being managed: reference and date of birth, kept for MANAGE_MINUTES of inactivity.


def remember_booking(reference: str, date_of_birth: dt.date) -> None:
    """Open a booking for managing in this browser."""
    session["manage"] = {
        "ref": reference,
        "dob": date_of_birth.isoformat(),
        "at": now().timestamp(),
    }


def managed_booking() -> tuple[str, dt.date] | None:
    """The open booking's reference and date of birth, or None (also after MANAGE_MINUTES idle)."""
    state = session.get("manage")
    if not state:
        return None
    if now().timestamp() - float(state.get("at", 0)) > MANAGE_MINUTES * 60:
        forget_booking()
        session["manage_expired"] = True
        return None
    state["at"] = now().timestamp()
    session["manage"] = state
    return state["ref"], dt.date.fromisoformat(state["dob"])


def forget_booking() -> None:
    """Close the managed booking."""
    session.pop("manage", None)
