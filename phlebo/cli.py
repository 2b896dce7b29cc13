"""The `phlebo` command: serve, demo, database set-up, accounts and keys, kiosk and simulators."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from sqlmodel import Session

from shared.config import Settings
from shared.db import make_engine, session_scope
from shared.errors import BookingError, ValidationFailed
from shared.timeutil import utcnow


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    """A session on the configured database; the engine is closed afterwards."""
    engine = make_engine(settings.database_url)
    try:
        with session_scope(engine) as session:
            yield session
    finally:
        engine.dispose()


def cmd_init_db(args: argparse.Namespace, settings: Settings) -> int:
    """Run migrations and load reference data."""
    from booking_web.migrate import upgrade
    from booking_web.reference_data import ensure_reference_data

    engine = make_engine(settings.database_url)
    try:
        upgrade(engine)
        with session_scope(engine) as session:
            ensure_reference_data(session)
        print(f"Database ready: {engine.url.render_as_string(hide_password=True)}")
    finally:
        engine.dispose()
    return 0


def cmd_seed_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Load the demo test catalogue, sites and clinics."""
    from booking_web.demo_data import seed_demo

    with _session(settings) as session:
        sites = seed_demo(session=session, now=utcnow())
    print(f"Demo data: the test catalogue, {len(sites)} sites with six weeks of clinics")
    return 0


def cmd_import_catalogue(args: argparse.Namespace, settings: Settings) -> int:
    """Load a laboratory's test catalogue from a CSV file: all of it, or nothing if a line is bad."""
    from booking_web.services.catalogue_import import import_catalogue
    from booking_web.services.staff_audit import operator

    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"Error: {args.file} cannot be read ({exc.strerror or exc}).", file=sys.stderr)
        return 2
    try:
        with _session(settings) as session:
            result = import_catalogue(session=session, data=data, actor=operator("import-catalogue"),
                                      now=utcnow())
    except ValidationFailed as exc:
        from booking_web.messages import field_words, words

        print(f"Nothing was imported: {words(exc)}", file=sys.stderr)
        for line in field_words(exc).values():  # each says its line
            print(f"  {line}", file=sys.stderr)
        return 2
    print(f"Imported {result.total} test{'' if result.total == 1 else 's'}: {len(result.added)} new, {len(result.changed)} changed, "
          f"{len(result.unchanged)} unchanged. Tests already in the catalogue but not in the file "
          "are kept as they were.")
    return 0


def cmd_create_staff(args: argparse.Namespace, settings: Settings) -> int:
    """Add a staff account; the password is asked for unless given on standard input."""
    from booking_web.services.accounts import create_staff
    from booking_web.services.staff_audit import operator

    password = args.password_stdin and sys.stdin.readline().rstrip("\n") or getpass.getpass("Password: ")
    with _session(settings) as session:
        user = create_staff(session=session, actor=operator("create-staff"),
                            username=args.username, display_name=args.name or args.username,
                            password=password, role=args.role, site_id=args.site, now=utcnow(),
                            organisation=args.organisation)
    print(f"Created {user.role} {user.username}" + (f" for {args.organisation.upper()}" if args.organisation else ""))
    return 0


def cmd_create_organisation(args: argparse.Namespace, settings: Settings) -> int:
    """Add an organisation that requests tests (a GP practice or clinic)."""
    from booking_web.services.organisations import create_organisation
    from booking_web.services.staff_audit import operator

    with _session(settings) as session:
        org = create_organisation(session=session, ods_code=args.ods_code, name=args.name,
                                  address=args.address or "", actor=operator("create-organisation"), now=utcnow())
    print(f"Created organisation {org.ods_code}: {org.name}")
    return 0


def cmd_create_api_key(args: argparse.Namespace, settings: Settings) -> int:
    """Make a partner API key and print it alone on the last line."""
    from booking_web.services.accounts import create_api_key
    from booking_web.services.staff_audit import operator

    with _session(settings) as session:
        key = create_api_key(session=session, name=args.name, actor=operator("create-api-key"), now=utcnow())
    print(f"API key for {args.name} (shown once; keep it secret):")
    print(key)
    return 0


def cmd_create_kiosk(args: argparse.Namespace, settings: Settings) -> int:
    """Make a kiosk key bound to a site and print it alone on the last line."""
    from booking_web.services.accounts import create_api_key
    from booking_web.services.staff_audit import operator
    from shared.models import KeyKind

    with _session(settings) as session:
        key = create_api_key(session=session, name=args.name, kind=KeyKind.KIOSK, site_id=args.site,
                             actor=operator("create-kiosk"), now=utcnow())
    print(f"Kiosk key for {args.name} at site {args.site} (set PHLEBO_KIOSK_KEY to it):")
    print(key)
    return 0


def cmd_create_display(args: argparse.Namespace, settings: Settings) -> int:
    """Make a display key for a site's waiting-room call screen; print the screen's link, then
    the key alone on the last line."""
    from booking_web.services.accounts import create_api_key
    from booking_web.services.staff_audit import operator
    from shared.models import KeyKind

    with _session(settings) as session:
        key = create_api_key(session=session, name=args.name, kind=KeyKind.DISPLAY, site_id=args.site,
                             actor=operator("create-display"), now=utcnow())
    print(f"Call screen key for {args.name} at site {args.site} (shown once; keep it secret).")
    print(f"Open this link once on the screen's browser: {settings.public_url}/display/{args.site}?key={key}")
    print(key)
    return 0


def cmd_set_walk_ins(args: argparse.Namespace, settings: Settings) -> int:
    """Let a site take walk-ins with a test request, at most CAP per hour or session, or stop."""
    from booking_web.services.staff_audit import operator
    from booking_web.services.walk_ins import set_walk_ins
    from shared.errors import ValidationFailed
    from shared.models import Site

    with _session(settings) as session:
        if session.get(Site, args.site) is None:
            print(f"There is no site {args.site}", file=sys.stderr)
            return 2
        if args.off or args.cap is None:
            set_walk_ins(session=session, site_id=args.site, cap=None, actor=operator("set-walk-ins"), now=utcnow())
            print(f"Site {args.site} takes no walk-ins.")
            return 0
        try:
            set_walk_ins(session=session, site_id=args.site, cap=args.cap, per=args.per,
                         actor=operator("set-walk-ins"), now=utcnow())
        except ValidationFailed as exc:
            from booking_web.messages import words

            print(words(exc), file=sys.stderr)
            return 2
    print(f"Site {args.site} takes up to {args.cap} walk-ins per {args.per}.")
    return 0


def cmd_settle_reports(args: argparse.Namespace, settings: Settings) -> int:
    """Count every past day not yet counted into the reports' settled counts (the scheduler does
    this by itself; run it once after installing to count the history at once)."""
    from booking_web.reports.settle import settle_reports

    with _session(settings) as session:
        done = settle_reports(session=session, now=utcnow())
    if done.counted_from is None:
        print(f"Nothing to count: settled until {done.settled_until or 'nothing yet (no data)'}")
    else:
        print(f"Counted {done.counted_from} to {done.counted_to}; settled until {done.settled_until}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    """Run the site with the development server (use gunicorn in production)."""
    from booking_web import create_app
    from booking_web.config_check import ConfigError, require_good_settings

    try:
        for warning in require_good_settings():
            print(warning, file=sys.stderr)
    except ConfigError as exc:
        print(f"Not started: {exc}", file=sys.stderr)
        return 2
    app = create_app(settings)
    app.run(host=args.host, port=args.port, threaded=True, use_reloader=False)
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    """Everything at once on SQLite with demo data."""
    from phlebo.demo import run_demo

    return run_demo(settings, host=args.host, port=args.port, printer_port=args.printer_port)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(prog="phlebo", description="Phlebo: blood test booking, check-in and labels",
                                     epilog="Run `phlebo COMMAND --help` for a command's options.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND", title="commands")
    p = sub.add_parser("demo", help="run the whole system on SQLite with demo data")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000, help="the site's port (default 5000)")
    p.add_argument("--printer-port", type=int, default=None, metavar="PORT",
                   help="the simulated label printer's port (default 9100, or a free one if taken)")
    p.set_defaults(func=cmd_demo)
    p = sub.add_parser("serve", help="run the web site and API")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=5000)
    p.set_defaults(func=cmd_serve)
    sub.add_parser("init-db", help="create or upgrade the database (migrations)").set_defaults(func=cmd_init_db)
    sub.add_parser("seed-demo", help="load the demo test catalogue, sites and clinics").set_defaults(func=cmd_seed_demo)
    p = sub.add_parser("import-catalogue", help="load a laboratory's test catalogue from a CSV file",
                       description="Load the test catalogue from a CSV file whose first line is: "
                       "code,name,container,draw stage,transfusion,shares tube. Every bad line is "
                       "reported and nothing is imported unless every line is good.")
    p.add_argument("file", metavar="FILE.csv")
    p.set_defaults(func=cmd_import_catalogue)
    p = sub.add_parser("create-staff", help="add a staff account")
    p.add_argument("username")
    p.add_argument("--name", help="display name")
    p.add_argument("--role", choices=["admin", "phlebotomist", "manager", "requester"], default="phlebotomist")
    p.add_argument("--site", type=int, help="site id for a phlebotomist")
    p.add_argument("--organisation", metavar="ODS_CODE", help="the organisation of a requester")
    p.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    p.set_defaults(func=cmd_create_staff)
    p = sub.add_parser("create-organisation", help="add an organisation that requests tests")
    p.add_argument("ods_code", metavar="ODS_CODE")
    p.add_argument("name", metavar="NAME")
    p.add_argument("--address", help="the organisation's address")
    p.set_defaults(func=cmd_create_organisation)
    p = sub.add_parser("create-api-key", help="make a partner API key")
    p.add_argument("name")
    p.set_defaults(func=cmd_create_api_key)
    p = sub.add_parser("create-kiosk", help="make a kiosk key for a site")
    p.add_argument("name")
    p.add_argument("--site", type=int, required=True)
    p.set_defaults(func=cmd_create_kiosk)
    p = sub.add_parser("create-display", help="make a key for a site's waiting-room call screen")
    p.add_argument("name")
    p.add_argument("--site", type=int, required=True)
    p.set_defaults(func=cmd_create_display)
    p = sub.add_parser("set-walk-ins", help="let a site take walk-ins with a test request (a cap per hour or session)")
    p.add_argument("site", type=int)
    p.add_argument("--cap", type=int)
    p.add_argument("--per", choices=("hour", "session"), default="hour")
    p.add_argument("--off", action="store_true")
    p.set_defaults(func=cmd_set_walk_ins)
    sub.add_parser("settle-reports", help="count past days into the reports' settled counts"
                   ).set_defaults(func=cmd_settle_reports)
    # These have parsers of their own (main() hands them their arguments before this parser
    # sees them); listed here so that `phlebo --help` names every command.
    for name, what in (("kiosk", "the check-in kiosk window, or `kiosk checkin` with no screen"),
                       ("sim-printer", "the simulated label printer (ESC/POS or ZPL II)"),
                       ("sim-nhs-login", "a simulated NHS login (OpenID provider) with test users"),
                       ("scheduler", "reminders, sending messages, DNA marking and waiting-list offers"),
                       ("print-worker", "sends the server's queued print jobs (labels at the chair) to printers"),
                       ("hl7", "`hl7 listen`: take orders over HL7 v2 MLLP; `hl7 send FILE`: send one message")):
        sub.add_parser(name, help=what, add_help=False)
    from phlebo.ops_cli import add_commands

    add_commands(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `phlebo` console script."""
    argv = list(sys.argv[1:] if argv is None else argv)
    from phlebo import logs

    logs.configure()
    # Kiosk and simulator commands have parsers of their own.
    if argv and argv[0] == "kiosk":
        from kiosk_app.cli import main as kiosk_main

        return kiosk_main(argv[1:])
    if argv and argv[0] == "sim-printer":
        from hardware_sim.cli import main as sim_main

        return sim_main(argv[1:])
    if argv and argv[0] == "sim-nhs-login":
        from hardware_sim.nhs_login_cli import main as nhs_login_main

        return nhs_login_main(argv[1:])
    if argv and argv[0] == "scheduler":
        from booking_web.scheduler import main as scheduler_main

        return scheduler_main(argv[1:])
    if argv and argv[0] == "hl7":
        from booking_web.hl7.listener import main as hl7_main

        return hl7_main(argv[1:])
    if argv and argv[0] == "print-worker":
        from booking_web.print_worker import main as worker_main

        return worker_main(argv[1:])
    args = build_parser().parse_args(argv)
    if not getattr(args, "needs_settings", True):
        return int(args.func(args, None))
    try:
        settings = Settings.from_env()
    except ValueError as exc:  # a setting that cannot be read
        print(f"Error: {exc}. Run `phlebo check-config` to see every problem.", file=sys.stderr)
        return 2
    try:
        return int(args.func(args, settings))
    except BookingError as exc:
        from booking_web.messages import field_words, words

        details = "; ".join(f"{k}: {v}" for k, v in field_words(exc).items())
        print(f"Error: {words(exc)}{' (' + details + ')' if details else ''}", file=sys.stderr)
        return 2
