"""One worker's open streams, and what each has yet to hear about."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

OWNERS = "owners"
# Markers a stream turns into its own events: re-fetch everything, or end now.
RESYNC = "resync"
CLOSE = "close"


def visitor_topic(visitor_id: str) -> str:
    return f"visitor:{visitor_id}"


@dataclass(frozen=True, slots=True)
class Change:
    """What a notification says: which order, whose. Never an amount or an email."""

    order_id: int
    visitor_id: str

    @property
    def payload(self) -> str:
        return f"{self.order_id} {self.visitor_id}"

    @classmethod
    def parse(cls, payload: str) -> Change | None:
        order_id, _, visitor_id = payload.partition(" ")
        if not order_id.isascii() or not order_id.isdigit() or not visitor_id:
            return None
        return cls(int(order_id), visitor_id)


class Subscription:
    """One open stream's inbox: changes since it last looked, coalesced, and a wake-up."""

    __slots__ = ("_wake", "changes", "markers")

    def __init__(self) -> None:
        self.changes: set[int] = set()
        self.markers: set[str] = set()
        self._wake = asyncio.Event()

    def push(self, order_id: int | None = None, marker: str | None = None) -> None:
        if order_id is not None:
            self.changes.add(order_id)
        if marker is not None:
            self.markers.add(marker)
        self._wake.set()

    async def wait(self, seconds: float) -> tuple[set[int], set[str]] | None:
        """What arrived, or None when `seconds` passed with nothing."""
        try:
            async with asyncio.timeout(seconds):
                await self._wake.wait()
        except TimeoutError:
            return None
        self._wake.clear()
        arrived = self.changes, self.markers
        self.changes, self.markers = set(), set()
        return arrived


class Hub:
    """Fans a change out to the streams of its visitor and of signed-in owners, in this worker."""

    def __init__(self) -> None:
        self._topics: dict[str, set[Subscription]] = {}
        self.closing = False  # CLOSE was broadcast: the worker is stopping

    @contextmanager
    def subscribe(self, topic: str) -> Iterator[Subscription]:
        subscription = Subscription()
        if self.closing:  # opened between the stop signal and the socket closing: end it too
            subscription.push(marker=CLOSE)
        self._topics.setdefault(topic, set()).add(subscription)
        try:
            yield subscription
        finally:
            subscribers = self._topics[topic]
            subscribers.discard(subscription)
            if not subscribers:
                del self._topics[topic]

    def publish(self, change: Change) -> None:
        for topic in (visitor_topic(change.visitor_id), OWNERS):
            for subscription in self._topics.get(topic, ()):
                subscription.push(order_id=change.order_id)

    def broadcast(self, marker: str) -> None:
        """Every stream, whoever it is for: RESYNC after missed notifications, CLOSE at shutdown."""
        self.closing = self.closing or marker == CLOSE
        for subscribers in self._topics.values():
            for subscription in subscribers:
                subscription.push(marker=marker)

    @property
    def open_streams(self) -> int:
        return sum(len(subscribers) for subscribers in self._topics.values())
