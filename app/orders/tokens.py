"""Checkout tokens: minted by the server for one visitor, signed, and good for a few hours."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import time
from datetime import timedelta

# Long enough for a tab left open over lunch; short enough that a harvested form goes stale.
TOKEN_LIFETIME = timedelta(hours=4)
# Workers' clocks may disagree a little: a token minted "in the future" by that much is fine.
_CLOCK_SKEW_SECONDS = 60
_NONCE_BYTES = 12  # 16 characters: every rendered form gets its own token, hence its own order
_MAC_BYTES = 18  # 24 characters
# issued (hex unix seconds) . nonce . MAC: 50 characters, within Order.checkout_token's 64.
_SHAPE = re.compile(r"([0-9a-f]{8,10})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{24})")


class CheckoutTokens:
    """Mints and checks the token each rendered cart form carries to Buy."""

    def __init__(self, secret_key: str, lifetime: timedelta = TOKEN_LIFETIME) -> None:
        # A key of its own, so no other signature the site makes can pass for a token.
        self._key = hmac.new(secret_key.encode(), b"checkout-token", hashlib.sha256).digest()
        self._lifetime = lifetime.total_seconds()

    def mint(self, visitor_id: str, *, now: float | None = None) -> str:
        issued = format(int(time.time() if now is None else now), "x")
        body = f"{issued}.{secrets.token_urlsafe(_NONCE_BYTES)}"
        return f"{body}.{self._mac(visitor_id, body)}"

    def valid(self, token: str, visitor_id: str, *, now: float | None = None) -> bool:
        """True only for a token this site minted for this visitor, within its lifetime."""
        shape = _SHAPE.fullmatch(token)
        if shape is None:
            return False
        issued, nonce, mac = shape.groups()
        if not hmac.compare_digest(mac, self._mac(visitor_id, f"{issued}.{nonce}")):
            return False
        age = (time.time() if now is None else now) - int(issued, 16)
        return -_CLOCK_SKEW_SECONDS <= age <= self._lifetime

    def issued(self, token: str) -> float:
        """When a token (already found valid) was minted: when its form's prices were shown."""
        shape = _SHAPE.fullmatch(token)
        return float(int(shape.group(1), 16)) if shape else 0.0

    def _mac(self, visitor_id: str, body: str) -> str:
        # The visitor id is 24 characters without dots, so "id.body" parses one way only.
        digest = hmac.new(self._key, f"{visitor_id}.{body}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode()
