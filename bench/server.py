"""The site as deployed: gunicorn on 127.0.0.1 and a free port, as a subprocess we stop afterwards."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

SECRET_KEY = "bench-only-secret-never-for-a-real-service"  # PHLEBO_SECRET_KEY of the bench server (signs kiosk QR codes)


@dataclass(frozen=True)
class ServerConfig:
    """Which WSGI server runs the site and how: gunicorn's worker class, or granian (a Rust HTTP
    server calling the WSGI app on blocking threads); workers and threads per worker."""

    worker_class: str = "gthread"
    workers: int = 2
    threads: int = 4
    server: str = "gunicorn"  # or "granian"

    def label(self) -> str:
        """E.g. 'gthread, 2 workers x 4 threads' or 'granian wsgi, 3 workers x 1 thread'."""
        if self.server == "granian":
            return f"granian wsgi, {self.workers} workers x {self.threads} blocking thread(s)"
        threads = f" x {self.threads} threads" if self.worker_class == "gthread" else ""
        return f"{self.worker_class}, {self.workers} workers{threads}"


@dataclass
class RunningServer:
    """A started gunicorn: its address and master process."""

    base_url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def worker_pids(self) -> list[int]:
        """The master's child processes (the web workers)."""
        return children_of(self.process.pid)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing is listening on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def children_of(pid: int) -> list[int]:
    """Process ids whose parent is pid (read from /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # Field 4 (ppid) comes after the command name in brackets, which may contain spaces.
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return sorted(found)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds used so far by these processes (from /proc/<pid>/stat)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
    return total / ticks


def memory_kib(pid: int) -> dict[str, int]:
    """VmHWM (peak resident) and VmRSS of a process, in KiB."""
    values = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(("VmHWM:", "VmRSS:")):
                name, amount = line.split(":", 1)
                values[name] = int(amount.split()[0])
    except OSError:
        pass
    return values


@contextmanager
def gunicorn(
    database_url: str,
    *,
    config: ServerConfig,
    instance_dir: Path,
    extra_env: dict[str, str] | None = None,
    ready_timeout: float = 30.0,
    app: str = "booking_web:create_app()",
    preload: bool = False,
    stop_signal: signal.Signals = signal.SIGTERM,
) -> Iterator[RunningServer]:
    """Run `gunicorn booking_web:create_app()` (or another app spec) against database_url until
    the block ends. `preload` builds the app once in the master, so a worker that dies is
    replaced in milliseconds (the fault tests kill workers). SIGINT as `stop_signal` stops at
    once instead of gracefully."""
    port = free_port()
    instance_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_site_env(database_url, instance_dir, port), **(extra_env or {})}
    args = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(config.workers),
        "--worker-class",
        config.worker_class,
        "--threads",
        str(config.threads),
        "--backlog",
        "2048",
        "--timeout",
        "60",
        "--graceful-timeout",
        "5",
        *(["--preload"] if preload else []),
        app,
    ]
    log_path = instance_dir / "gunicorn.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            cwd=Path(__file__).resolve().parents[1],  # the repository: app specs import from it
        )
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server, config.workers, ready_timeout)
        yield server
    finally:
        _stop(process, stop_signal)


@contextmanager
def serve(database_url: str, *, config: ServerConfig, instance_dir: Path,
          extra_env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    """The site under the server `config` names (gunicorn or granian), until the block ends."""
    if config.server == "granian":
        with granian(database_url, config=config, instance_dir=instance_dir, extra_env=extra_env) as running:
            yield running
    else:
        with gunicorn(database_url, config=config, instance_dir=instance_dir, extra_env=extra_env) as running:
            yield running


@contextmanager
def granian(database_url: str, *, config: ServerConfig, instance_dir: Path,
            extra_env: dict[str, str] | None = None, ready_timeout: float = 30.0) -> Iterator[RunningServer]:
    """`granian --interface wsgi --factory booking_web:create_app` on 127.0.0.1 and a free port,
    with the environment gunicorn gets; failed workers are respawned (granian's default is not to)."""
    port = free_port()
    instance_dir.mkdir(parents=True, exist_ok=True)
    env = {**os.environ, **_site_env(database_url, instance_dir, port), **(extra_env or {})}
    args = [sys.executable, "-m", "granian", "--interface", "wsgi", "--factory", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(config.workers), "--blocking-threads", str(config.threads),
            "--backlog", "2048", "--no-access-log", "--respawn-failed-workers", "booking_web:create_app"]
    log_path = instance_dir / "granian.log"
    with open(log_path, "wb") as log:
        process = subprocess.Popen(args, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                                   cwd=Path(__file__).resolve().parents[1])
    server = RunningServer(f"http://127.0.0.1:{port}", process, log_path)
    try:
        _wait_ready(server, config.workers, ready_timeout)
        yield server
    finally:
        _stop(process, signal.SIGTERM)


def _site_env(database_url: str, instance_dir: Path, port: int) -> dict[str, str]:
    return {
        "PHLEBO_DATABASE_URL": database_url,
        "PHLEBO_INSTANCE_DIR": str(instance_dir),
        "PHLEBO_SECRET_KEY": SECRET_KEY,
        "PHLEBO_ENV": "production",
        "PHLEBO_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PHLEBO_BOOKING_PHONE": "01632 960 000",
        "PHLEBO_MIN_NOTICE_MINUTES": "0",
    }


def wrk_ceiling(base_url: str, key: str, *, seconds: float, connections: int = 64) -> dict[str, object]:
    """GET /api/v1/sites as fast as wrk (a C load generator, Debian's `wrk`) can send it, one
    thread: requests a second and latency, or why not measured."""
    exe = shutil.which("wrk")
    if exe is None:
        return {"status": "not measured", "why": "wrk is not installed (scripts/system-packages.txt)"}
    run = subprocess.run(
        [exe, "-t1", f"-c{connections}", f"-d{max(1, int(seconds))}s", "--latency",
         "-H", f"Authorization: Bearer {key}", f"{base_url}/api/v1/sites"],
        capture_output=True, text=True, timeout=seconds + 30, check=False)
    found: dict[str, object] = {"status": "measured", "connections": connections}
    for line in run.stdout.splitlines():
        words = line.split()
        if line.startswith("Requests/sec:"):
            found["requests_per_s"] = float(words[1])
        elif words[:1] == ["99%"]:
            found["p99"] = words[1]
        elif words[:1] == ["50%"]:
            found["p50"] = words[1]
        elif "Non-2xx" in line:
            found["non_2xx"] = int(words[-1])
    if "requests_per_s" not in found:
        return {"status": "failed", "why": (run.stdout + run.stderr)[-500:]}
    return found


def _wait_ready(server: RunningServer, workers: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"gunicorn exited; see {server.log_path}")
        try:
            # Any HTTP answer (401 without a key) means a worker is serving.
            httpx.get(f"{server.base_url}/api/v1/sites", timeout=2.0)
            if len(server.worker_pids()) >= workers:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not start within {timeout:.0f}s; see {server.log_path}")


def _stop(process: subprocess.Popen[bytes], how: signal.Signals = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(how)  # SIGTERM is graceful: the master stops its workers
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # our own session: only gunicorn and its workers
            process.wait(timeout=5)
