"""Every action the site writes to the audit log has plain words on the audit page (read from the
source: each `action=` given to staff_audit.record, both sides of a conditional one)."""

from __future__ import annotations

import re
from pathlib import Path

from booking_web.staff.audit import ACTION_WORDS, PATIENT_ACTIONS, SETUP_ACTIONS

ROOT = Path(__file__).resolve().parents[2] / "booking_web"
# action="x", or action="x" if ... else "y"
_ACTION = re.compile(r'\baction="([^"{]+)"(?:\s+if\s[^\n]*?\selse\s"([^"]+)")?')


def recorded_actions() -> set[str]:
    """The action codes passed to record() anywhere in the site."""
    found: set[str] = set()
    for path in ROOT.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        if "record(" not in text:
            continue
        for call in re.finditer(r"\brecord\((.*?)\)\n", text, re.S):
            for first, second in _ACTION.findall(call.group(1)):
                found |= {first, second} - {""}
    return found


def test_every_recorded_action_has_words_on_the_audit_page():
    actions = recorded_actions()
    assert {"organisation_add", "site_change", "test_change", "view", "walk-in refused"} <= actions  # the scan works
    assert actions - ACTION_WORDS.keys() == set()


def test_no_action_is_in_both_groups_of_the_filter():
    assert PATIENT_ACTIONS.keys().isdisjoint(SETUP_ACTIONS.keys())
