"""Buys per client address per minute, counted in the database that every worker shares."""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from app.orders.tables import BuyWindow

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# One statement, so concurrent Buys from any number of workers each get their own count.
_COUNT_BUY = (
    "INSERT INTO shop_buy_window (address, minute, buys) VALUES ({}, {}, 1)"
    " ON CONFLICT (address, minute) DO UPDATE SET buys = shop_buy_window.buys + 1"
    " RETURNING buys"
)
_UNKNOWN = "unknown"  # no peer address (a test transport, a unix socket): one shared bucket


class TooManyBuys(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many Buys; retry after {retry_after} s")
        self.retry_after = retry_after


class BuyLimiter:
    """At most `per_minute` Buys from one address in each clock minute; 0 turns it off."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute

    async def admit(self, address: str, *, now: float | None = None) -> None:
        if not self.per_minute:
            return
        now = time.time() if now is None else now
        minute = int(now // 60)
        [row] = await BuyWindow.raw(_COUNT_BUY, address[:64], minute)
        if row["buys"] == 1:
            # The first Buy of an address in a minute clears finished minutes (an index range).
            await BuyWindow.delete().where(BuyWindow.minute < minute)
        if row["buys"] > self.per_minute:
            raise TooManyBuys(retry_after=max(1, math.ceil((minute + 1) * 60 - now)))


class TrustedProxies:
    """Who the client is: the connection's peer, or what trusted proxies say it was."""

    def __init__(self, networks: Iterable[IPNetwork] = ()) -> None:
        self._networks = tuple(networks)

    def client_address(self, scope: Mapping[str, Any]) -> str:
        client: Sequence[Any] | None = scope.get("client")
        peer = _address(str(client[0])) if client else None
        if peer is None:
            return _UNKNOWN
        if not self._trusts(peer):
            return str(peer)  # anyone can write X-Forwarded-For: only a proxy we run is heard
        hops = [
            hop.strip()
            for name, value in scope.get("headers", ())
            if name == b"x-forwarded-for"
            for hop in value.decode("latin-1").split(",")
        ]
        # Each proxy appends the address it saw: walk back from ours to the first outsider.
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break  # garbled: what our last proxy saw is the best we know
            peer = address
            if not self._trusts(address):
                break
        return str(peer)

    def untrusted_forwarder(self, scope: Mapping[str, Any]) -> str | None:
        """The peer, when it sent X-Forwarded-For but is not a trusted proxy (else None)."""
        if not any(name == b"x-forwarded-for" for name, _ in scope.get("headers", ())):
            return None
        client: Sequence[Any] | None = scope.get("client")
        peer = _address(str(client[0])) if client else None
        return None if peer is None or self._trusts(peer) else str(peer)

    def _trusts(self, address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
        return any(address in network for network in self._networks)


def _address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    # An IPv4 client seen through an IPv6 socket is the same client.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address
