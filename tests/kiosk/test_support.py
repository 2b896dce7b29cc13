"""Config from the environment, the scan detector's timing rule, and the reference guard."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk_app.config import KioskConfig
from kiosk_app.scan import ScanDetector


def test_config_from_environment_with_demo_defaults():
    config = KioskConfig.from_env({})
    assert config.server_url == "http://127.0.0.1:5000" and config.idle_seconds == 45
    assert not config.dev and config.outbox_path == Path("instance/kiosk-print-reports.json")
    config = KioskConfig.from_env({"PHLEBO_SERVER_URL": "https://phlebo.example",
                                   "PHLEBO_KIOSK_KEY": "k", "PHLEBO_PRINTER": "tcp://p:9100",
                                   "PHLEBO_KIOSK_IDLE_SECONDS": "30", "PHLEBO_KIOSK_DEV": "1"})
    assert (config.server_url, config.kiosk_key, config.printer_uri, config.idle_seconds,
            config.dev) == ("https://phlebo.example", "k", "tcp://p:9100", 30.0, True)
    with pytest.raises(ValueError, match="PHLEBO_KIOSK_IDLE_SECONDS"):
        KioskConfig.from_env({"PHLEBO_KIOSK_IDLE_SECONDS": "soon"})


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def feed(detector: ScanDetector, clock: Clock, text: str, gap_ms: float) -> str | None:
    for char in text:
        clock.now += gap_ms
        detector.char(char)
    clock.now += gap_ms
    return detector.enter()


def test_scan_detector_uses_key_press_times_when_given():
    clock = Clock()  # the processing clock jumps 300 ms mid-scan; the press times do not
    detector = ScanDetector(max_gap_ms=50, min_length=8, clock=clock)
    for n, char in enumerate("PHLEBO1.ABC"):
        clock.now += 300 if n == 5 else 1
        detector.char(char, 10_000.0 + 5 * n)
    assert detector.enter(10_060.0) == "PHLEBO1.ABC"
    for n, char in enumerate("PHLEBO1.ABC"):  # pressed 150 ms apart, handled at once: a person
        detector.char(char, 20_000.0 + 150 * n)
    assert detector.enter(21_700.0) is None


def test_scan_detector_tells_scanners_from_people():
    clock = Clock()
    detector = ScanDetector(max_gap_ms=50, min_length=8, clock=clock)
    assert feed(detector, clock, "PHLEBO1.ABC", 5) == "PHLEBO1.ABC"
    assert feed(detector, clock, "PHLEBO1.ABC", 150) is None  # a person typing
    assert feed(detector, clock, "ABC", 5) is None  # too short to be a code
    # A person's stray key just before a scan does not spoil the scan.
    clock.now += 1000
    detector.char("x")
    clock.now += 400
    assert feed(detector, clock, "PHLEBO1.ABC", 5) == "PHLEBO1.ABC"
    assert feed(detector, clock, "", 5) is None
