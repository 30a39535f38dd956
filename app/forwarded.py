"""A warning at start when a proxy's X-Forwarded-For is being ignored (TRUSTED_PROXIES unset)."""

from __future__ import annotations

import logging

from app.orders.throttle import TrustedProxies
from app.web import AnyRequest

logger = logging.getLogger("app.proxies")

# A misconfigured proxy sends the header on every request: the first few tell; later ones
# are not looked at, so this costs nothing once the worker is warm.
CHECKED_REQUESTS = 100


class UntrustedForwardedFor:
    """Warns once per worker if one of its first requests carries X-Forwarded-For from a peer
    outside TRUSTED_PROXIES: behind such a proxy every client counts as the proxy's address,
    so the per-address limits (Buys, sign-ins, streams) would throttle everyone together.

    Litestar's before_request hook, not a middleware: a middleware layer would stay in every
    request's path, the send of its response included, long after its 100th request."""

    def __init__(self, proxies: TrustedProxies) -> None:
        self._proxies = proxies
        self._left = CHECKED_REQUESTS

    async def __call__(self, request: AnyRequest) -> None:
        if self._left <= 0:
            return
        self._left -= 1
        peer = self._proxies.untrusted_forwarder(request.scope)
        if peer is not None:
            self._left = 0
            logger.warning(
                "X-Forwarded-For from %s, which TRUSTED_PROXIES does not name: every client "
                "behind it counts as %s for the per-address limits. Set TRUSTED_PROXIES to "
                "the proxy's address (README: Behind a proxy).",
                peer,
                peer,
            )
