"""Journey state kept in the signed session cookie: which questions are answered, where to go next,
and errors carried from one page to another (e.g. 'that time has just been taken')."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from flask import redirect, request, session, url_for
from werkzeug.wrappers import Response

from booking_web.context import now

MANAGE_MINUTES = 15  # how long a looked-up booking stays open in this browser without use


def _always(_data: dict[str, Any]) -> bool:
    return True


@dataclass(frozen=True)
class Step:
    """One question page; it counts as answered when every key is in the journey data."""

    name: str
    endpoint: str
    keys: tuple[str, ...]
    applies: Callable[[dict[str, Any]], bool] = _always


@dataclass(frozen=True)
class Flow:
    """An ordered set of question pages ending at a check page, stored under one session key."""

    key: str
    steps: tuple[Step, ...]
    final: str  # endpoint of the check page
    start: str  # endpoint before the first question (for the first Back link)
    caption: str
    invalidates: dict[str, tuple[str, ...]] = field(default_factory=dict)

    def data(self) -> dict[str, Any]:
        """This journey's answers so far (a copy)."""
        return dict(session.get(self.key) or {})

    def save(self, data: dict[str, Any]) -> None:
        """Store the answers."""
        session[self.key] = data

    def clear(self) -> None:
        """Forget the journey."""
        session.pop(self.key, None)

    def answer(self, data: dict[str, Any], **values: Any) -> dict[str, Any]:
        """Record answers; a changed answer clears the answers that depended on it."""
        for name, value in values.items():
            if name in data and data[name] != value:
                for dependent in self.invalidates.get(name, ()):
                    data.pop(dependent, None)
            data[name] = value
        self.save(data)
        return data

    def _applicable(self, data: dict[str, Any]) -> list[Step]:
        return [s for s in self.steps if s.applies(data)]

    def first_missing(self, data: dict[str, Any]) -> Step | None:
        """The first question not yet answered."""
        for step in self._applicable(data):
            if any(k not in data for k in step.keys):
                return step
        return None

    def guard(self, name: str) -> Response | None:
        """A redirect to the first unanswered earlier question, or None when this page may show."""
        data = self.data()
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
