"""`phlebo demo`: the whole system on one machine, on SQLite, with invented data.

It creates the database and demo data, starts the virtual label printer and the scheduler,
opens the kiosk window when there is a display, and serves the site."""

from __future__ import annotations

import dataclasses
import json
import os
import socket
import subprocess
import sys
from pathlib import Path

from sqlalchemy.engine import Engine

from shared.config import Settings
from shared.db import make_engine, session_scope
from shared.models import KeyKind, Site
from shared.timeutil import utcnow


def _free_port(preferred: int) -> int:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", preferred))
            return preferred
        except OSError:
            s.bind(("127.0.0.1", 0))
            return int(s.getsockname()[1])


def _prepare_database(engine: Engine) -> None:
    from booking_web.demo_data import seed_demo
    from booking_web.migrate import upgrade
    from booking_web.reference_data import ensure_reference_data

    upgrade(engine)
    with session_scope(engine) as session:
        ensure_reference_data(session)
        seed_demo(session=session, now=utcnow())


def _credentials(engine: Engine, settings: Settings) -> dict[str, str]:
    """Demo accounts and keys, made once and kept in the instance folder."""
    import secrets

    from booking_web.demo_data import DEMO_SETUP
    from booking_web.services.accounts import create_api_key, create_staff

    path = settings.instance_dir / "demo-credentials.json"
    if path.exists():
        return json.loads(path.read_text())  # type: ignore[no-any-return]
    with session_scope(engine) as session:
        site = session.query(Site).order_by(Site.id).first()
        assert site is not None and site.id is not None
        creds = {"admin_user": "admin", "admin_password": secrets.token_urlsafe(9),
                 "phlebotomist_user": "phlebotomist", "phlebotomist_password": secrets.token_urlsafe(9),
                 "site_id": str(site.id), "site_name": site.name}
        create_staff(session=session, actor=DEMO_SETUP, username="admin", display_name="Demo Admin",
                     password=creds["admin_password"] + "-admin", role="admin", site_id=None, now=utcnow())
        create_staff(session=session, actor=DEMO_SETUP, username="phlebotomist", display_name="Demo Phlebotomist",
                     password=creds["phlebotomist_password"] + "-phleb", role="phlebotomist", site_id=site.id,
                     now=utcnow())
        creds["admin_password"] += "-admin"
        creds["phlebotomist_password"] += "-phleb"
        creds["kiosk_key"] = create_api_key(session=session, actor=DEMO_SETUP, name="Demo kiosk", kind=KeyKind.KIOSK,
                                            site_id=site.id, now=utcnow())
        creds["partner_key"] = create_api_key(session=session, actor=DEMO_SETUP, name="Demo partner", now=utcnow())
        creds["display_key"] = create_api_key(session=session, actor=DEMO_SETUP, name="Demo waiting-room screen",
                                              kind=KeyKind.DISPLAY, site_id=site.id, now=utcnow())
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)
    return creds


def _requesters(engine: Engine, settings: Settings, creds: dict[str, str]) -> None:
    """Two demo practices with a requester each, and requests in every state (once; the logins
    are kept with the others)."""
    import secrets

    from booking_web.demo_data import DEMO_SETUP
    from booking_web.demo_requests import PRACTICES, seed_demo_requests, seed_organisations
    from booking_web.services.accounts import create_staff, key_for_token

    if "requesters" in creds:
        return
    logins = []
    with session_scope(engine) as session:
        seed_organisations(session=session, now=utcnow())
        for (code, name, _address), user in zip(PRACTICES, ("parklane", "moorside"), strict=True):
            password = secrets.token_urlsafe(9) + "-gp"
            create_staff(session=session, actor=DEMO_SETUP,
                         username=user, display_name=f"Dr {user.title()} (demo)", password=password,
                         role="requester", site_id=None, organisation=code, now=utcnow())
            logins.append({"user": user, "password": password, "organisation": name})
        kiosk = key_for_token(session=session, token=creds["kiosk_key"])
        seed_demo_requests(session=session, settings=settings, now=utcnow(), site_id=int(creds["site_id"]),
                           kiosk_key_id=kiosk.id)  # type: ignore[arg-type]
    creds["requesters"] = logins  # type: ignore[assignment]
    path = settings.instance_dir / "demo-credentials.json"
    path.write_text(json.dumps(creds, indent=2))
    path.chmod(0o600)


def _port_in_use(port: int) -> bool:
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return True
    return False


def run_demo(settings: Settings, *, host: str = "127.0.0.1", port: int = 5000,
             printer_port: int | None = None) -> int:
    """Prepare everything and serve until interrupted. The simulated printer listens on
    `printer_port` (None: 9100, or a free port when that one is taken)."""
    if printer_port is not None and _port_in_use(printer_port):
        print(f"Error: the printer port {printer_port} is in use; choose another with "
              "--printer-port, or leave it out to use a free one.", file=sys.stderr)
        return 2
    if "PHLEBO_MIN_NOTICE_MINUTES" not in os.environ:
        # So that a person can book a slot in the clinic running now, then check in at once.
        settings = dataclasses.replace(settings, min_notice_minutes=0)
    if "PHLEBO_PUBLIC_URL" not in os.environ:
        # Links patients are sent (manage, waiting-list offers, letters) point at this demo.
        settings = dataclasses.replace(settings, public_url=f"http://{host}:{port}")
    settings.instance_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.database_url)
    _prepare_database(engine)
    creds = _credentials(engine, settings)
    _requesters(engine, settings, creds)

    labels_dir = settings.instance_dir / "labels"
    printer = start_printer(engine, labels_dir, port=printer_port)
    nhs_login = None
    if not os.environ.get("PHLEBO_NHSLOGIN_ISSUER"):
        # A simulated NHS login with invented test users, unless a real one is configured.
        nhs_login, settings = start_nhs_login(settings)
    # The kiosk reaches this demo server here (a kiosk setting: the server has no use for it).
    server_url = os.environ.get("PHLEBO_SERVER_URL") or f"http://{host}:{port}"
    kiosk_env = dict(os.environ, PHLEBO_SERVER_URL=server_url, PHLEBO_KIOSK_KEY=creds["kiosk_key"],
                     PHLEBO_PRINTER=printer.uri)
    lims = None
    if not (os.environ.get("PHLEBO_LIMS_MLLP") or os.environ.get("PHLEBO_ORDER_STATUS_MLLP")):
        # A simulated laboratory receives the collection and status messages, unless real ones are set.
        from hardware_sim.lims import SimLims

        lims = SimLims(settings.instance_dir / "lims", port=_free_port(2576)).start()
        settings = dataclasses.replace(settings, lims_mllp=f"127.0.0.1:{lims.port}",
                                       order_status_mllp=f"127.0.0.1:{lims.port}")
    scheduler = _start_scheduler(settings, engine)
    hl7_server = start_hl7_listener(engine, settings)
    from booking_web.print_worker import PrintWorker

    worker = PrintWorker(engine=engine, settings=settings).start()  # labels at the chair
    kiosk = None
    if os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"):
        kiosk = subprocess.Popen([sys.executable, "-m", "phlebo", "kiosk"], env={**kiosk_env, "PHLEBO_KIOSK_DEV": "1"})
    print(f"\n  HL7 v2 listener (MLLP): 127.0.0.1:{hl7_server.port}; send an order with\n"
          f"      .venv/bin/phlebo hl7 send docs/hl7/example-order.hl7 --to 127.0.0.1:{hl7_server.port}",
          flush=True)
    if lims is not None:
        print(f"  HL7 messages out go to a simulated laboratory on 127.0.0.1:{lims.port} "
              f"(messages kept in {lims.out_dir}/)", flush=True)
    _banner(server_url, creds, printer.uri, labels_dir, settings, kiosk is not None,
            nhs_login is not None)

    from booking_web import create_app
    from phlebo import logs

    logs.install()
    app = create_app(settings, engine=engine)
    try:
        app.run(host=host, port=port, threaded=True, use_reloader=False)
    finally:
        if kiosk is not None:
            kiosk.terminate()
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        worker.stop()
        hl7_server.shutdown()
        if lims is not None:
            lims.stop()
        printer.stop()
        if nhs_login is not None:
            nhs_login.stop()
    return 0


def start_hl7_listener(engine: Engine, settings: Settings):  # type: ignore[no-untyped-def]
    """The HL7 listener on 2575 (or a free port) in a thread, and the demo practice's code map
    entry the example order uses (U&E is the catalogue's UE)."""
    import threading

    from booking_web.demo_data import DEMO_SETUP
    from booking_web.hl7.listener import make_server
    from booking_web.services.code_map import set_code
    from booking_web.services.organisations import organisation_by_code

    with session_scope(engine) as session:
        org = organisation_by_code(session=session, ods_code="X99001")
        if org is not None and org.id is not None:
            set_code(session=session, organisation_id=org.id, external_code="U&E", test_code="UE",
                     actor=DEMO_SETUP, now=utcnow())
    server = make_server(engine=engine, settings=settings, host="127.0.0.1", port=_free_port(2575))
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True).start()
    return server


def start_nhs_login(settings: Settings):  # type: ignore[no-untyped-def]
    """The simulated NHS login on a free loopback port (9180 when free), with a client key
    made once in the instance folder, and the settings that point the site at it."""
    from joserfc.jwk import RSAKey

    from hardware_sim.nhs_login import SimNhsLogin

    key_file = settings.instance_dir / "nhslogin-demo-client.pem"
    if not key_file.exists():
        key_file.write_bytes(RSAKey.generate_key(2048).as_pem(private=True))
        key_file.chmod(0o600)
    public = RSAKey.import_key(RSAKey.import_key(key_file.read_bytes()).as_dict(private=False))
    sim = SimNhsLogin(client_id="phlebo-demo", client_public_key=public,
                      redirect_uris=[f"{settings.public_url}/nhs-login/callback"],
                      port=_free_port(9180)).start()
    return sim, dataclasses.replace(settings, nhslogin_issuer=sim.issuer,
                                    nhslogin_client_id="phlebo-demo",
                                    nhslogin_private_key_file=key_file)


def start_printer(engine: Engine, labels_dir: Path, *, port: int | None = None):  # type: ignore[no-untyped-def]
    """The simulated label printer, started on `port` (None: 9100 or a free one), and every
    demo site's staff reprints sent to it (the kiosk is pointed at it too), so a reprint at the
    chair prints a label, not a PDF."""
    import hardware_sim
    from booking_web.services.site_admin import list_sites, set_printer
    from hardware_sim.printer import VirtualPrinter
    from hardware_sim.server import SimPrinterServer

    hardware_sim.register()
    printer = SimPrinterServer(VirtualPrinter(labels_dir), port=port or _free_port(9100)).start()
    with session_scope(engine) as session:
        for site in list_sites(session=session):
            set_printer(session=session, site_id=site.id, uri=printer.uri)  # type: ignore[arg-type]
    return printer


def _start_scheduler(settings: Settings, engine: Engine):  # type: ignore[no-untyped-def]
    try:
        from booking_web.scheduler import start_background_scheduler
    except ImportError:
        return None
    return start_background_scheduler(settings=settings, engine=engine)


def _nhs_login_lines(url: str, settings: Settings, simulated: bool) -> str:
    if not settings.nhslogin_enabled:
        return ""
    from hardware_sim.nhs_login_users import TEST_USERS

    what = "simulated, invented test users" if simulated else "as configured"
    users = "\n".join(
        f"      {u.given_name} {u.family_name} ({u.proofing_level}: "
        + ("details filled in, 'Your blood tests')" if u.proofing_level == "P9"
           else "booking only, details typed)")
        for u in TEST_USERS) if simulated else ""
    return (f"  NHS login ({what}): {settings.nhslogin_issuer}\n"
            f"      Sign in: {url}/nhs-login/start/manage and choose a test user:\n{users}\n")


def _walk_in_lines(creds: dict[str, str]) -> str:
    if "requesters" not in creds:  # demo folders made before the requests
        return ""
    from booking_web.demo_requests import WALK_INS_AN_HOUR, demo_walk_in

    who = demo_walk_in()
    nhs, dob = who.nhs_number, who.date_of_birth
    return (f"  Walk-ins ({creds['site_name']} takes up to {WALK_INS_AN_HOUR} an hour): at the kiosk "
            "'I do not have an appointment', or 'Add a walk-in' on the today page:\n"
            f"      {who.given_name} {who.family_name}, NHS number {nhs[:3]} {nhs[3:6]} {nhs[6:]}, born "
            f"{dob.day} {dob.month} {dob.year}, postcode {who.postcode} (an open request from her GP)\n")


def _display_line(url: str, creds: dict[str, str]) -> str:
    if "display_key" not in creds:  # demo folders made before the call screen
        return "  Waiting-room call screen: `phlebo create-display NAME --site ID` makes its link."
    return (f"  Waiting-room call screen ({creds['site_name']}): "
            f"{url}/display/{creds['site_id']}?key={creds['display_key']}")


def _banner(url: str, creds: dict[str, str], printer_uri: str, labels: Path, settings: Settings,
            kiosk_open: bool, simulated_nhs_login: bool) -> None:
    kiosk_line = ("The kiosk window is open." if kiosk_open else
                  "No display here, so no kiosk window. Check in without a screen:\n"
                  f"    PHLEBO_SERVER_URL={url} PHLEBO_KIOSK_KEY={creds['kiosk_key']} PHLEBO_PRINTER={printer_uri} \\\n"
                  "    .venv/bin/phlebo kiosk checkin --reference REF --date-of-birth YYYY-MM-DD")
    requesters = "".join(f"\n      {r['user']:<12} / {r['password']}   (requester, {r['organisation']})"
                         for r in creds.get("requesters", []))  # type: ignore[union-attr]
    print(f"""
Phlebo demo (invented data; SQLite at {settings.database_url})

  Book a blood test:   {url}/
  Staff sign-in:       {url}/staff/sign-in
      admin        / {creds['admin_password']}
      phlebotomist / {creds['phlebotomist_password']}   ({creds['site_name']}){requesters}
  Partner API key:     {creds['partner_key']}
      curl -H 'Authorization: Bearer {creds['partner_key']}' {url}/api/v1/sites
      (the JSON API: README "The JSON API")
  Label printer (simulated): {printer_uri}, label pictures in {labels}/
      (the kiosk and every site's reprints print there)
  Messages (local outbox):   {settings.outbox_dir}/
{_nhs_login_lines(url, settings, simulated_nhs_login)}
  A clinic at {creds['site_name']} runs now: book one of its times, then check in.
  {kiosk_line}
{_walk_in_lines(creds)}{_display_line(url, creds)}

Press Ctrl+C to stop.
""", flush=True)
