"""DLE EOT replies -> ok / fault / unknown; unknown never counts as ok."""

from __future__ import annotations

import pytest

from label_printer.languages.escpos import interpret


@pytest.mark.parametrize("replies, state, words", [
    ({1: 0x12, 2: 0x12, 4: 0x12}, "ok", "ready"),
    ({1: 0x12, 2: 0x12, 4: 0x1E}, "ok", "nearly empty"),
    ({1: 0x1A, 2: 0x32, 4: 0x72}, "fault", "paper out"),
    ({1: 0x1A, 2: 0x16, 4: 0x12}, "fault", "cover open"),
    ({1: 0x1A, 2: 0x12, 4: 0x12}, "fault", "offline"),
    ({1: None}, "unknown", "did not answer"),
    ({1: 0x12, 2: None}, "unknown", "did not answer"),
    ({1: 0xFF, 2: 0x12, 4: 0x12}, "unknown", "unexpected"),
])
def test_status_bytes_are_read_into_three_states(replies, state, words):
    status = interpret(replies)
    assert status.state == state and words in status.detail
    assert status.ok is (state == "ok")
