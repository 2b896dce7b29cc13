"""Threads released at the same moment: how the tests race requests, presses and check-ins
against each other to prove the database, not luck, keeps them in order."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def race(n: int, work: Callable[[int], Any], *, timeout: float = 120) -> list[Any]:
    """Run work(i) for i in 0..n-1 on n threads released together by a barrier; each one's
    result, or what it raised, in that order. A thread still running after `timeout` fails."""
    barrier = threading.Barrier(n)
    results: list[Any] = [None] * n

    def run(i: int) -> None:
        barrier.wait(timeout=30)
        try:
            results[i] = work(i)
        except BaseException as exc:  # collected and asserted on by the caller
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads), "a thread hung"
    return results
