"""Issue 11 item 15: `phlebo --help` lists every command (also those with parsers of their own:
kiosk, sim-printer, scheduler) and the README's command table names each; `phlebo demo
--printer-port` puts the simulated label printer on a chosen port, and the demo's banner gives
the partner API key, which works. The demo runs as the real command, in a process of its own."""

from __future__ import annotations

import os
import re
import selectors
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

from phlebo.cli import build_parser
from tests.integration.live_site import free_port

ROOT = Path(__file__).resolve().parents[2]
EVERY_COMMAND = {
    "demo", "serve", "init-db", "seed-demo", "import-catalogue", "create-staff", "create-organisation",
    "create-api-key",
    "create-kiosk", "kiosk", "sim-printer", "scheduler", "print-worker", "web", "check-config", "health", "backup",
    "restore", "sim-nhs-login", "settle-reports", "create-display", "hl7",
    "set-walk-ins",
}


def _phlebo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "phlebo", *args], capture_output=True, text=True,
                          timeout=120, env={**os.environ, "PHLEBO_LOG_FORMAT": "text", **(env or {})})


def _listed(help_text: str) -> set[str]:
    """The commands a help text lists, one per line under 'commands'."""
    return set(re.findall(r"^    ([a-z][a-z0-9-]+)\s", help_text, re.M))


def test_help_lists_every_command_and_each_command_has_its_own_help():
    result = _phlebo("--help")
    assert result.returncode == 0
    assert _listed(result.stdout) == EVERY_COMMAND, result.stdout
    assert "phlebo COMMAND --help" in result.stdout
    for command in ("kiosk", "sim-printer", "scheduler", "print-worker", "import-catalogue", "demo",
                    "sim-nhs-login", "hl7"):
        own = _phlebo(command, "--help")
        assert own.returncode == 0 and "usage:" in own.stdout, (command, own.stdout, own.stderr)
    assert "--printer-port" in _phlebo("demo", "--help").stdout


def test_the_readme_names_every_command():
    readme = (ROOT / "README.md").read_text()
    table = readme[readme.index("## The `phlebo` command"):readme.index("## Configuration")]
    named = set(re.findall(r"^\| `phlebo ([a-z][a-z0-9-]+)", table, re.M))
    assert named == EVERY_COMMAND == set(build_parser()._subparsers._group_actions[0].choices)  # type: ignore[union-attr]


def _read_until(process: subprocess.Popen[str], marker: str, timeout: float) -> str:
    """What the process printed until `marker` (or fail after `timeout` seconds)."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    seen, deadline = "", time.monotonic() + timeout
    while marker not in seen:
        left = deadline - time.monotonic()
        assert left > 0 and process.poll() is None, f"no {marker!r} within {timeout}s:\n{seen}"
        if selector.select(timeout=min(left, 1.0)):
            line = process.stdout.readline()
            seen += line
    return seen


def test_the_demo_prints_the_partner_key_and_listens_on_the_printer_port_asked_for(tmp_path):
    port, printer_port = free_port(), free_port()
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("PHLEBO_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(PHLEBO_INSTANCE_DIR=str(tmp_path / "instance"), PHLEBO_LOG_FORMAT="text",
               PYTHONUNBUFFERED="1")
    process = subprocess.Popen(
        [sys.executable, "-m", "phlebo", "demo", "--port", str(port), "--printer-port", str(printer_port)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, cwd=tmp_path,
        start_new_session=True)
    try:
        banner = _read_until(process, "Press Ctrl+C", timeout=180)
        assert f"tcp://127.0.0.1:{printer_port}" in banner, banner
        with socket.create_connection(("127.0.0.1", printer_port), timeout=5):
            pass  # the simulated printer answers on the port asked for
        [key] = re.findall(r"Partner API key:\s+(\S+)", banner)
        assert f"curl -H 'Authorization: Bearer {key}'" in banner
        for _ in range(50):  # the site starts serving just after the banner
            try:
                sites = httpx.get(f"http://127.0.0.1:{port}/api/v1/sites",
                                  headers={"Authorization": f"Bearer {key}"}, timeout=5)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert sites.status_code == 200 and len(sites.json()["sites"]) == 4
        # The simulated NHS login answers where the banner says, and the site sends patients there.
        [issuer] = re.findall(r"NHS login \(simulated, invented test users\): (\S+)", banner)
        assert httpx.get(f"{issuer}/.well-known/openid-configuration", timeout=5).json()[
            "issuer"] == issuer
        assert "Joan Whitfield (P9" in banner and "Sam Taylor (P5" in banner
        start = httpx.get(f"http://127.0.0.1:{port}/nhs-login/start/manage", timeout=5)
        assert start.status_code == 302 and start.headers["Location"].startswith(f"{issuer}/authorize?")
        # The waiting-room screen's link opens it (the key kept, the address without it).
        [screen] = re.findall(r"Waiting-room call screen \([^)]*\): (\S+)", banner)
        opened = httpx.get(screen, timeout=5, follow_redirects=True)
        assert opened.status_code == 200 and "No one has been called yet today" in opened.text
        assert str(opened.url) == screen.split("?")[0]
        # The HL7 listener takes the example order in docs/ with the one command the banner gives.
        [hl7_port] = re.findall(r"HL7 v2 listener \(MLLP\): 127.0.0.1:(\d+)", banner)
        sent = _phlebo("hl7", "send", str(ROOT / "docs" / "hl7" / "example-order.hl7"), "--to",
                       f"127.0.0.1:{hl7_port}", env=env)
        assert sent.returncode == 0 and "MSA|AA|DEMO0001" in sent.stdout, (sent.stdout, sent.stderr)
        [lims_port] = re.findall(r"simulated laboratory on 127.0.0.1:(\d+)", banner)
        with socket.create_connection(("127.0.0.1", int(lims_port)), timeout=5):
            pass  # the simulated laboratory the scheduler sends HL7 messages to answers
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


def test_a_printer_port_already_taken_is_refused_with_a_message(tmp_path):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items()
               if not k.startswith("PHLEBO_") and k not in ("DISPLAY", "WAYLAND_DISPLAY")}
        result = _phlebo("demo", "--port", str(free_port()), "--printer-port", str(busy),
                         env={**env, "PHLEBO_INSTANCE_DIR": str(tmp_path / "instance")})
    assert result.returncode == 2
    assert f"port {busy} is in use" in result.stderr, result.stderr


def test_the_readme_documents_every_api_call_there_is(app):
    """The README's JSON API section names each /api/v1 call the site has, and no other."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## The JSON API"):readme.index("## Configuration")]
    documented = {(method, re.sub(r"\?.*", "", path)) for method, path in
                  re.findall(r"`(GET|POST) (/api/v1/[^`\s]*)", section)}
    documented |= {("POST", path) for path in re.findall(r"`POST\s+(/api/v1/kiosk/[^`\s]*)", section)}
    served = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:int:)?reference>", "REF", re.sub(r"<int:job_id>", "ID", rule.rule))
            path = path.replace("<number>", "NUMBER")
            served |= {(m, path) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == served
