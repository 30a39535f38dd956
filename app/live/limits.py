"""How many streams this worker holds open: per visitor, per client address, and in all."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from app.metrics.store import open_stream

# A visitor's tabs: My Orders in a few of them (an owner: the dashboard and an order or two).
PER_VISITOR = 4
# Beyond a bound the page is answered at once and asked to reconnect this much later: a slow
# poll instead of a stream (the browser's SSE extension honours `retry:`), never an error.
FALLBACK_RETRY_MS = 30_000


@dataclass(frozen=True, slots=True)
class StreamBounds:
    per_visitor: int = PER_VISITOR
    per_address: int = 32
    # Below the server's connection limit (`make serve`: --limit-concurrency 4000 a worker),
    # so pages, Buys and the owner always get through however many streams are asked for.
    per_worker: int = 2000


class StreamLimiter:
    """Counts this worker's open streams; `admit` says whether one more may stay open.

    Kept in the worker's memory: a stream is a connection to this worker, and it is this
    worker's sockets and memory the bounds protect (N workers hold at most N times as many).
    """

    def __init__(self, bounds: StreamBounds) -> None:
        self.bounds = bounds
        self._visitors: Counter[str] = Counter()
        self._addresses: Counter[str] = Counter()
        self._open = 0

    @contextmanager
    def admit(self, visitor: str, address: str) -> Iterator[bool]:
        """True (and counted until the block ends) if a stream fits within every bound."""
        bounds = self.bounds
        if (
            self._open >= bounds.per_worker
            or self._visitors[visitor] >= bounds.per_visitor
            or self._addresses[address] >= bounds.per_address
        ):
            yield False
            return
        self._open += 1
        self._visitors[visitor] += 1
        self._addresses[address] += 1
        try:
            with open_stream():
                yield True
        finally:
            self._open -= 1
            _release(self._visitors, visitor)
            _release(self._addresses, address)

    @property
    def open_streams(self) -> int:
        return self._open


def _release(counts: Counter[str], key: str) -> None:
    counts[key] -= 1
    if counts[key] <= 0:
        del counts[key]  # a visitor gone leaves nothing behind
