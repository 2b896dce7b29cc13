"""Part 3 (scan to label) and the kiosk half of part 4 (kiosk memory).

One SQLite database with today's clinic (bench/kiosk_seed.py), gunicorn as deployed, and the
simulated printer over TCP in its own process (bench/sim_printer.py). Then two kiosk processes:
- bench/kiosk_stages.py: N QR check-ins (6 tests: 4 tube labels + 1 hand label) through the
  kiosk's Qt-free flow, each stage timed; run as shipped, then again with TCP_NODELAY turned
  back off on the printer socket (the behaviour before that fix, so its effect is measured each run);
- bench/kiosk_memory.py: the real kiosk window (offscreen) checking in patients one after
  another, sampling its own VmRSS/VmHWM.
Everything is on 127.0.0.1; every process is stopped before this returns."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from bench.databases import bench_database
from bench.kiosk_seed import TESTS, seed_kiosk_day
from bench.procs import ROOT
from bench.server import SECRET_KEY, ServerConfig, gunicorn
from bench.sim_printer import running_sim_printer
from bench.stats import summary_ms
from shared.config import Settings
from shared.timeutil import utcnow

LABEL_MM, FEED_MM_PER_S = 25, 150  # a 25 mm label at 150 mm/s
PRINTER_MS_PER_LABEL = 1000 * LABEL_MM / FEED_MM_PER_S  # about 167 ms
SOFTWARE_P95_TARGET_MS = 150
MEMORY_TARGET_MIB = 250
FLAT_MIB = 5  # "flat": RSS grows less than this after warm-up
WARM_AFTER = 10  # check-ins before the kiosk's memory should stop growing
# The server's per-kiosk-key limit (60 lookups a minute by default) would refuse a bench that
# checks in a patient every few hundred milliseconds; the hit itself is still made and counted.
# Check-in opens 2 hours early rather than 1, so one clinic's slots hold every bench patient.
SERVER_ENV = {"PHLEBO_LOOKUP_LIMIT_PER_MINUTE": "100000", "PHLEBO_CHECKIN_EARLY_MINUTES": "120"}


@dataclass(frozen=True)
class KioskScale:
    """How many check-ins: timed (after warm-up) and in a row for memory."""

    checkins: int
    warmup: int
    memory_checkins: int
    sample_after: tuple[int, ...]


# As shipped (TCP_NODELAY on the printer socket) in ESC/POS; with Nagle's algorithm back on, as
# before; and as shipped to a ZPL printer (zpl+tcp://: the printer draws text and barcode).
RUNS = {"stages": (False, "escpos"), "stages_nagle": (True, "escpos"),
        "stages_zpl": (False, "zpl")}
FULL = KioskScale(checkins=50, warmup=3, memory_checkins=100, sample_after=(1, 10, 50, 100))
QUICK = KioskScale(checkins=10, warmup=2, memory_checkins=20, sample_after=(1, 10, 20))


def run_kiosk(
    *, quick: bool, workdir: Path, config: ServerConfig, profile: bool = False
) -> dict[str, Any]:
    """Seed today's clinic, start gunicorn, then the timed check-ins (as shipped, and without
    TCP_NODELAY as before), then the memory run; each kiosk run gets a fresh simulated printer."""
    scale = QUICK if quick else FULL
    result: dict[str, Any] = {
        "status": "measured",
        "database": "sqlite",
        "server": config.label(),
        "scale": asdict(scale),
        "tests": list(TESTS),
        "crashes": [],
    }
    stage_count = scale.warmup + scale.checkins
    with bench_database("sqlite", "bench_kiosk", workdir=workdir, server_url=None) as db:
        instance = workdir / "instance-kiosk"
        settings = Settings.from_env(
            env={
                "PHLEBO_SECRET_KEY": SECRET_KEY,
                "PHLEBO_DATABASE_URL": db.url,
                "PHLEBO_INSTANCE_DIR": str(instance),
            }
        )
        day = seed_kiosk_day(
            db.url,
            patients=len(RUNS) * stage_count + 2 * scale.memory_checkins,
            settings=settings,
            now=utcnow(),
        )
        patients = [asdict(p) for p in day.patients]
        common = {"kiosk_key": day.kiosk_key}
        with gunicorn(db.url, config=config, instance_dir=instance, extra_env=SERVER_ENV) as server:
            common["server_url"] = server.base_url
            for name, (nagle, language) in RUNS.items():
                batch, patients = patients[:stage_count], patients[stage_count:]
                with running_sim_printer(_fresh(workdir / "kiosk-labels"),
                                         language=language) as sim:  # type: ignore[arg-type]
                    raw = run_driver(
                        "bench.kiosk_stages",
                        dict(
                            common,
                            printer_uri=sim.uri,
                            patients=batch,
                            warmup=scale.warmup,
                            tcp_nagle=nagle,
                            outbox_path=str(workdir / f"kiosk-outbox-{name}.json"),
                            profile_path=(
                                str(workdir / f"pyinstrument-kiosk-{name}.txt") if profile else None
                            ),
                        ),
                        timeout_s=60 + 5 * stage_count,
                        crashes=result["crashes"],
                    )
                if raw is None:
                    raise RuntimeError(f"the kiosk stages run crashed: {result['crashes']}")
                raw["sim_seconds"] = sim.seconds
                result[name] = stage_figures(raw, warmup=scale.warmup)
            for _attempt in range(2):  # a second go, with new patients, if Qt crashed
                batch, patients = (
                    patients[: scale.memory_checkins],
                    patients[scale.memory_checkins :],
                )
                with running_sim_printer(_fresh(workdir / "kiosk-labels")) as sim:
                    raw = run_driver(
                        "bench.kiosk_memory",
                        dict(
                            common,
                            printer_uri=sim.uri,
                            patients=batch,
                            sample_after=list(scale.sample_after),
                            warm_after=WARM_AFTER,
                            outbox_path=str(workdir / "kiosk-outbox-memory.json"),
                        ),
                        timeout_s=120 + 10 * scale.memory_checkins,
                        crashes=result["crashes"],
                    )
                if raw is not None:
                    raw["sim_seconds"] = sim.seconds
                    result["memory"] = memory_figures(raw)
                    break
            else:
                raise RuntimeError(f"the kiosk memory run crashed twice: {result['crashes']}")
        shutil.rmtree(workdir / "kiosk-labels", ignore_errors=True)
    return result


def run_driver(
    module: str, config: dict[str, Any], *, timeout_s: float, crashes: list[str]
) -> dict[str, Any] | None:
    """`python -m module '<config>'`: its JSON answer, or None if it died from a signal (noted in
    `crashes` with the faulthandler traceback). An answer printed before a crash at exit counts."""
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""),
        PYTHONFAULTHANDLER="1",
        QT_QPA_PLATFORM="offscreen",
    )
    done = subprocess.run(
        [sys.executable, "-m", module, json.dumps(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )
    lines = done.stdout.strip().splitlines()
    answer = json.loads(lines[-1]) if lines and lines[-1].startswith("{") else None
    if done.returncode < 0:
        crashes.append(f"{module} died (signal {-done.returncode}): {done.stderr[-1500:]}")
        return answer  # type: ignore[no-any-return]
    if done.returncode != 0 or answer is None:
        raise RuntimeError(f"{module} failed ({done.returncode}): {done.stderr[-2000:]}")
    return answer  # type: ignore[no-any-return]


def _fresh(path: Path) -> Path:
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    return path


def stage_figures(raw: dict[str, Any], *, warmup: int) -> dict[str, Any]:
    """p50/p95 per stage over the timed check-ins, the simulator's share taken off."""
    timed = [c for c in raw["checkins"] if not c["warmup"]]
    # Connection k of the simulator is check-in k (one connection per print job, in order).
    sim = [sum(raw["sim_seconds"].get(k, [])) for k in range(1, len(raw["checkins"]) + 1)]
    sim_timed = [s for s, c in zip(sim, raw["checkins"], strict=True) if not c["warmup"]]
    for c, s in zip(timed, sim_timed, strict=True):
        c["simulator"] = s
        c["printer_net"] = c["printer"] - s
        c["software"] = c["total"] - s
    names = (
        "scan_to_identify",
        "identify",
        "checkin",
        "render",
        "printer",
        "simulator",
        "printer_net",
        "report",
        "total",
        "software",
        "identify_http",
        "checkin_http",
        "report_http",
    )
    per_sim_label = [s for k, v in raw["sim_seconds"].items() if k > warmup for s in v]
    first = raw["checkins"][0] if raw["checkins"] else None
    return {
        "checkins": len(timed),
        "failures": raw["failures"],
        "labels_per_checkin": sorted({c["labels"] for c in timed}),
        "hand_label": sorted({t for c in timed for t in c["hand_label"]}),
        "stages": {n: summary_ms([c[n] for c in timed]) for n in names},
        "label_bytes_per_label": summary_ms(raw["label_bytes_s"]),
        "raster_per_label": summary_ms(raw["render_label_s"]),
        "simulator_per_label": summary_ms(per_sim_label),
        "first_checkin_total_ms": round(1000 * (first["total"] - sim[0]), 1) if first else None,
        "printer_mechanical_ms": {
            "per_label": round(PRINTER_MS_PER_LABEL, 1),
            "per_checkin": round(PRINTER_MS_PER_LABEL * max(_most_labels(timed), 1), 1),
        },
    }


def _most_labels(checkins: list[dict[str, Any]]) -> int:
    """Labels printed per check-in (the most seen)."""
    return max((c["labels"] for c in checkins), default=0)


def memory_figures(raw: dict[str, Any]) -> dict[str, Any]:
    """RSS at each sample, the peak, growth after warm-up, and the two waits through Qt."""
    mib = lambda kib: round(kib / 1024, 1)  # noqa: E731
    samples = [
        {
            "after": s["after"],
            "rss_mib": mib(s["VmRSS"]),
            "hwm_mib": mib(s["VmHWM"]),
            "objects": s["objects"],
        }
        for s in raw["samples"]
    ]
    warm = next((s for s in samples if s["after"] >= WARM_AFTER), samples[-1])
    growth = round(samples[-1]["rss_mib"] - warm["rss_mib"], 1)
    times = raw["times"]
    for k, t in enumerate(times, start=1):  # connection k of the simulator is check-in k
        t["software"] = t["total"] - sum(raw["sim_seconds"].get(k, []))
    return {
        "checkins": len(times),
        "samples": samples,
        "peak_mib": max(s["hwm_mib"] for s in samples),
        "growth_after_warmup_mib": growth,
        "growth_from": warm["after"],
        "flat": growth < FLAT_MIB,
        "window": {
            k: summary_ms([t[k] for t in times])
            for k in ("identify", "checkin_to_printed", "total", "software")
        },
        "seconds": round(raw["seconds"], 1),
        "objects_grown": raw["objects_grown"],
        "misreads": raw["misreads"],
    }
