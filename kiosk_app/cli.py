"""`phlebo kiosk` (the full-screen window) and `phlebo kiosk checkin` (the same flow, no screen).

Exit codes of `checkin`: 0 checked in (even if the labels need reception), 2 bad input,
3 not found (reference or date of birth), 4 not now (too early or late, cancelled, wrong
place or day, too many tries), 5 already checked in, 6 server unreachable, 1 anything else.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from collections.abc import Sequence


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{raw!r} is not a date like 1957-03-04") from exc


def build_parser() -> argparse.ArgumentParser:
    """Arguments of `phlebo kiosk`."""
    parser = argparse.ArgumentParser(prog="phlebo kiosk",
                                     description="Kiosk check-in (full-screen window).")
    sub = parser.add_subparsers(dest="command")
    checkin = sub.add_parser("checkin", help="check a patient in without a screen")
    checkin.add_argument("--reference", required=True, help="booking reference, e.g. ABC-DEF-GHJ")
    checkin.add_argument("--date-of-birth", required=True, type=_date, help="YYYY-MM-DD")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point for `phlebo kiosk ...`."""
    args = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    from kiosk_app.config import KioskConfig

    try:
        config = KioskConfig.from_env()
    except ValueError as exc:
        print(f"Kiosk configuration: {exc}", file=sys.stderr)
        return 2
    if args.command == "checkin":
        from kiosk_app.effects import build_services, report_unfinished
        from kiosk_app.headless import run_checkin

        services = build_services(config)
        try:
            report_unfinished(services)  # what a kiosk stopped mid-job knew, first
            return run_checkin(services, reference=args.reference,
                               date_of_birth=args.date_of_birth)
        finally:
            services.api.close()
    from kiosk_app.app import run

    return run(config)
