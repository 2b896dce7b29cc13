"""gunicorn settings for the site, used by the container, the systemd unit and the tests:

    gunicorn -c python:phlebo.gunicorn_conf 'booking_web:create_app()'

Sync workers, one more than the cores (README: measured best on 2 cores); Prometheus
multiprocess mode, so /metrics adds up every worker's counts; logs in the PHLEBO_LOG_FORMAT
(JSON lines unless a terminal), gunicorn's own included; no gunicorn access log (the site
writes its own line per request: route, status, duration and request id, never the path); and
the settings checked before any worker starts."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

from phlebo import logs

bind = os.environ.get("PHLEBO_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("PHLEBO_WORKERS", "0") or 0) or (os.cpu_count() or 1) + 1
worker_class = "sync"
timeout = 60
graceful_timeout = 20
accesslog = None
logconfig_dict: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"phlebo": {"()": "phlebo.logs.formatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "phlebo",
                             "stream": "ext://sys.stderr"}},
    "root": {"level": logs.level(), "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        # Off: its lines carry the path asked for (a booking reference, a query string); the
        # site's own access line has the route, status, duration and request id instead.
        "gunicorn.access": {"level": "WARNING", "handlers": [], "propagate": False},
        "alembic.runtime.plugins": {"level": "WARNING"},  # a line per plugin per worker
    },
}
_made_dir: list[str] = []


def on_starting(server: Any) -> None:
    """Before any worker: the metrics folder (emptied), then the settings check."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        ours = [p for kind in ("counter", "gauge_*", "histogram", "summary")
                for p in Path(folder).glob(f"{kind}_*.db")]
        others = set(Path(folder).glob("*.db")) - set(ours)
        if others:  # a scrape would read them as counts; a wipe would delete them
            server.log.error("Not started: PROMETHEUS_MULTIPROC_DIR (%s) must be a folder of its "
                             "own; it holds %s", folder, ", ".join(sorted(p.name for p in others)))
            sys.exit(2)
        for stale in ours:  # counts from a previous run
            stale.unlink()
    else:
        folder = tempfile.mkdtemp(prefix="phlebo-metrics-")
        _made_dir.append(folder)
    # Workers are forked from here, and prometheus_client picks its storage when first
    # imported: the folder must be in the environment before that.
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    if "prometheus_client.values" in sys.modules:
        from prometheus_client import values

        values.ValueClass = values.get_value_class()
    from booking_web.config_check import ConfigError, require_good_settings

    try:
        for warning in require_good_settings():
            server.log.warning("%s", warning)
    except ConfigError as exc:
        server.log.error("Not started: %s", exc)
        sys.exit(2)


def child_exit(server: Any, worker: Any) -> None:
    """A worker ended: its live gauges stop counting (its counters are kept)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server: Any) -> None:
    """Remove the metrics folder this process made."""
    for folder in _made_dir:
        shutil.rmtree(folder, ignore_errors=True)
