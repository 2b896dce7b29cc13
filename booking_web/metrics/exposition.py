"""One scrape: this process's counters (or, under gunicorn, every worker's added up from
PROMETHEUS_MULTIPROC_DIR) plus the database figures, in Prometheus's text format."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable

from prometheus_client import REGISTRY, CollectorRegistry, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy.engine import Engine

from booking_web.metrics.database import DatabaseCollector

# The classic text format (what generate_latest writes), which every Prometheus reads.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4


class _ThisProcess:
    """The default registry's metrics (one process: `phlebo serve`, tests)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


def multiprocess_dir() -> str | None:
    """The folder gunicorn's workers keep their counts in, when set (see phlebo.gunicorn_conf)."""
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


def scrape(*, engine: Engine, clock: Callable[[], dt.datetime]) -> bytes:
    """The metrics text for one scrape."""
    registry = CollectorRegistry(auto_describe=False)
    folder = multiprocess_dir()
    if folder:
        MultiProcessCollector(registry, path=folder)
    else:
        registry.register(_ThisProcess())  # type: ignore[arg-type]
    registry.register(DatabaseCollector(engine, clock))
    return generate_latest(registry)
