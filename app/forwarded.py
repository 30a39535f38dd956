"""A warning at start when a proxy's X-Forwarded-For is being ignored (TRUSTED_PROXIES unset)."""

from __future__ import annotations

import logging

from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send

from app.orders.throttle import TrustedProxies

logger = logging.getLogger("app.proxies")

# A misconfigured proxy sends the header on every request: the first few tell; later ones
# are not looked at, so this costs nothing once the worker is warm.
CHECKED_REQUESTS = 100


class UntrustedForwardedFor(ASGIMiddleware):
    """Warns once per worker if one of its first requests carries X-Forwarded-For from a peer
    outside TRUSTED_PROXIES: behind such a proxy every client counts as the proxy's address,
    so the per-address limits (Buys, sign-ins, streams) would throttle everyone together."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, proxies: TrustedProxies) -> None:
        self._proxies = proxies
        self._left = CHECKED_REQUESTS

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if self._left > 0:
            self._left -= 1
            peer = self._proxies.untrusted_forwarder(scope)
            if peer is not None:
                self._left = 0
                logger.warning(
                    "X-Forwarded-For from %s, which TRUSTED_PROXIES does not name: every client "
                    "behind it counts as %s for the per-address limits. Set TRUSTED_PROXIES to "
                    "the proxy's address (README: Behind a proxy).",
                    peer,
                    peer,
                )
        await next_app(scope, receive, send)
