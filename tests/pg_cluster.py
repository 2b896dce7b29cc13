"""A PostgreSQL server of a test's own, which the test may stop and start under a running site
(the suite's shared server must never go away). Like scripts/with-postgres.sh: the Debian
binaries, a temporary folder, 127.0.0.1 and a free port; as the postgres user when run as root."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _bindir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: int(p.parent.parent.name))
    if not found:
        raise RuntimeError("PostgreSQL server binaries not found; run scripts/install-system-packages.sh")
    return found[-1].parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PgCluster:
    """initdb'd and running; stop() and start() keep its data and port."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.data = folder / "data"
        self.port = _free_port()
        self.bindir = _bindir()
        self.as_postgres = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    @property
    def url(self) -> str:
        """The server's SQLAlchemy URL (database `postgres`)."""
        return f"postgresql+psycopg://phlebo@127.0.0.1:{self.port}/postgres"

    def _run(self, *args: str) -> None:
        subprocess.run([*self.as_postgres, *args], check=True, capture_output=True, timeout=120)

    def init(self) -> None:
        """Create the cluster (trust auth on loopback, user phlebo)."""
        self._run(str(self.bindir / "initdb"), "-D", str(self.data), "-U", "phlebo", "--auth=trust",
                  "-E", "UTF8", "--no-locale")

    def start(self) -> None:
        """Start the server and wait until it accepts connections."""
        options = (f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=100 "
                   "-c fsync=off -c full_page_writes=off")
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-l", str(self.folder / "server.log"),
                  "-w", "-o", options, "start")

    def stop(self, mode: str = "fast") -> None:
        """Stop the server: `fast` ends every session at once, `immediate` is a crash."""
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")


@contextmanager
def private_postgres() -> Iterator[PgCluster]:
    """A running PostgreSQL of this test's own, removed afterwards."""
    folder = Path(tempfile.mkdtemp(prefix="phlebo-own-pg."))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")  # initdb refuses to run as root
    cluster = PgCluster(folder)
    try:
        cluster.init()
        cluster.start()
        yield cluster
    finally:
        try:
            cluster.stop("immediate")
        except subprocess.CalledProcessError:
            pass  # already stopped
        shutil.rmtree(folder, ignore_errors=True)
