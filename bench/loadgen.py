"""The load generator, run in its own process: `python -m bench.loadgen '<json config>'` prints JSON.

Modes: "rush" (closed loop: clients list free slots and book them through the partner API, picking
another on 409, with no pause: this finds the most bookings a second the stack can make),
"paced" (open loop: patients arrive at a fixed rate, each lists one site's free slots and books one,
at most `clients` at once; latency is timed from each patient's scheduled arrival, so a stack that
falls behind shows it) and "ceiling" (clients hammer GET /api/v1/sites). Bounded by a deadline and
a request budget.
Each client has its own connection (bench/rawhttp.py: a minimal HTTP/1.1 client, because httpx
used a third of the machine's CPU on the generator's side)."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from bench.rawhttp import Connection, Response, TransportError
from bench.stats import summary_ms
from shared.nhs_number import check_digit


@dataclass
class LoadState:
    """Shared by every simulated client in the process."""

    deadline: float
    max_requests: int
    requests: int = 0
    latencies: dict[str, list[float]] = field(
        default_factory=lambda: {"slots": [], "book": [], "sites": [], "journey": []}
    )
    statuses: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    full_sites: set[int] = field(default_factory=set)
    booked: int = 0
    late_starts: int = 0  # paced: patients who started more than 50 ms after their arrival time
    offered: int = 0  # paced: patients started
    first_at: float | None = None
    last_booked_at: float | None = None
    _nhs_seed: int = 0

    def done(self) -> bool:
        """True once out of time or out of requests."""
        return time.perf_counter() >= self.deadline or self.requests >= self.max_requests

    def next_nhs_number(self) -> str:
        """A fresh valid NHS number in the never-issued 999 range."""
        while True:
            self._nhs_seed += 1
            first = f"999{self._nhs_seed:06d}"
            digit = check_digit(first)
            if digit is not None:
                return first + str(digit)

    async def request(
        self, client: Connection, kind: str, method: str, url: str, **kwargs: Any
    ) -> Response | None:
        """Send one request, timing it and counting what came back; None on a transport error."""
        self.requests += 1
        began = time.perf_counter()
        self.first_at = self.first_at or began
        try:
            response = await client.request(method, url, **kwargs)
        except TimeoutError:
            self.errors["timeout"] += 1
            return None
        except TransportError as exc:
            self.errors[str(exc).split(":", 1)[0]] += 1
            return None
        self.latencies[kind].append(time.perf_counter() - began)
        self.statuses[f"{kind} {response.status_code}"] += 1
        if response.status_code >= 500:
            self.errors[f"http {response.status_code}"] += 1
        return response


def _letters(n: int) -> str:
    """A number as letters (names may not contain digits)."""
    out = ""
    while True:
        n, rest = divmod(n, 26)
        out = "abcdefghijklmnopqrstuvwxyz"[rest] + out
        if n == 0:
            return out


async def _list_slots(
    client: Connection, state: LoadState, cfg: dict[str, Any], site_id: int
) -> list[int] | None:
    """The ids of a site's free slots on the day, or None when the request failed."""
    response = await state.request(
        client,
        "slots",
        "GET",
        "/api/v1/slots",
        params={"site_id": site_id, "date": cfg["date"], "appointment_type": cfg["type_code"]},
    )
    if response is None or response.status_code != 200:
        return None
    return [slot["id"] for slot in response.json()["slots"]]


async def _book(
    client: Connection, state: LoadState, cfg: dict[str, Any], slot_id: int, family_name: str
) -> Response | None:
    """Book a slot for a new patient (a fresh NHS number, so the patient row is locked and the
    per-patient cap checked)."""
    patient = {
        "nhs_number": state.next_nhs_number(),
        "given_name": "Bench",
        "family_name": family_name,
        "date_of_birth": "1970-05-17",
        "mobile": "07700900123",
    }
    return await state.request(
        client,
        "book",
        "POST",
        "/api/v1/appointments",
        json_body={"slot_id": slot_id, "appointment_type": cfg["type_code"], "patient": patient},
    )


async def _rush_client(
    n: int, client: Connection, state: LoadState, cfg: dict[str, Any]
) -> None:
    rng = random.Random(cfg["seed"] + n)
    candidates: list[int] = []
    while not state.done():
        if not candidates:
            open_sites = [s for s in cfg["site_ids"] if s not in state.full_sites]
            if not open_sites:
                return
            site_id = rng.choice(open_sites)
            listed = await _list_slots(client, state, cfg, site_id)
            if listed is None:
                continue
            candidates = listed
            if not candidates:
                state.full_sites.add(site_id)
                continue
        # Any listed time may suit a patient; lists go stale as others book, hence 409s.
        slot_id = candidates.pop(rng.randrange(len(candidates)))
        response = await _book(client, state, cfg, slot_id, "Rush" + _letters(state.requests))
        if response is not None and response.status_code == 201:
            state.booked += 1
            state.last_booked_at = time.perf_counter()
            candidates = []  # the next patient starts from a fresh list


async def _paced_patient(
    n: int, client: Connection, state: LoadState, cfg: dict[str, Any], scheduled: float
) -> None:
    """One patient of the paced load: list a site's free slots, book one, another on 409."""
    rng = random.Random(cfg["seed"] + n)
    for _attempt in range(5):
        candidates = await _list_slots(client, state, cfg, rng.choice(cfg["site_ids"]))
        if candidates is None:
            return
        while candidates:
            slot_id = candidates.pop(rng.randrange(len(candidates)))
            response = await _book(client, state, cfg, slot_id, "Paced" + _letters(n))
            if response is None:
                return
            if response.status_code == 201:
                state.booked += 1
                state.last_booked_at = time.perf_counter()
                state.latencies["journey"].append(state.last_booked_at - scheduled)
                return
            if response.status_code != 409:
                return


async def _paced(clients: list[Connection], state: LoadState, cfg: dict[str, Any]) -> None:
    """Start a patient every 1/rate seconds on a free connection; never more than len(clients)."""
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for client in clients:
        free.put_nowait(client)
    running: set[asyncio.Task[None]] = set()
    interval, began = 1.0 / cfg["rate_per_s"], time.perf_counter()
    n = 0
    while not state.done() and n < cfg["patients"]:
        scheduled = began + n * interval
        delay = scheduled - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        client = await free.get()  # waits when every connection is busy: counted in the journey time
        state.late_starts += time.perf_counter() - scheduled > 0.05

        async def patient(n: int, client: Connection, scheduled: float) -> None:
            try:
                await _paced_patient(n, client, state, cfg, scheduled)
            finally:
                free.put_nowait(client)

        task = asyncio.create_task(patient(n, client, scheduled))
        running.add(task)
        task.add_done_callback(running.discard)
        n += 1
    if running:
        await asyncio.gather(*running)
    state.offered = n


async def _ceiling_client(client: Connection, state: LoadState) -> None:
    while not state.done():
        await state.request(client, "sites", "GET", "/api/v1/sites")


async def run(cfg: dict[str, Any]) -> dict[str, Any]:
    """Run the configured load and return counts, rates and latency percentiles."""
    began = time.perf_counter()
    state = LoadState(deadline=began + cfg["duration_s"], max_requests=cfg["max_requests"])
    # Each run's patients are new people: the paced run after the rush starts its NHS numbers past
    # the rush's (the same number with another name is refused as identity_mismatch, a 422).
    state._nhs_seed = int(cfg.get("first_patient", 0))
    headers = {"Authorization": f"Bearer {cfg['key']}"}
    clients = [Connection(cfg["base_url"], headers, cfg["timeout_s"]) for _ in range(cfg["clients"])]
    if cfg["mode"] == "rush":
        tasks = [_rush_client(n, client, state, cfg) for n, client in enumerate(clients)]
    elif cfg["mode"] == "paced":
        tasks = [_paced(clients, state, cfg)]
    else:
        tasks = [_ceiling_client(client, state) for client in clients]
    try:
        await asyncio.gather(*tasks)
    finally:
        for client in clients:
            await client.close()
    elapsed = time.perf_counter() - began
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {
        "elapsed_s": round(elapsed, 2),
        "requests": state.requests,
        "requests_per_s": round(state.requests / elapsed, 1),
        "booked": state.booked,
        "booking_window_s": round((state.last_booked_at or began) - (state.first_at or began), 2),
        "statuses": dict(state.statuses),
        "errors": dict(state.errors),
        "latency": {kind: summary_ms(values) for kind, values in state.latencies.items() if values},
        "generator_cpu_cores": round((usage.ru_utime + usage.ru_stime) / elapsed, 2),
        "sites_full": len(state.full_sites),
        "offered": state.offered,
        "late_starts": state.late_starts,
    }


def main(argv: list[str]) -> int:
    """Read the JSON config from argv[0] and print the JSON result."""
    print(json.dumps(asyncio.run(run(json.loads(argv[0])))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
