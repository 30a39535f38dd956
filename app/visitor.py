"""The anonymous visitor: a random id in a signed HttpOnly cookie names whose orders these are."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from litestar.datastructures import Cookie
from litestar.enums import ScopeType
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.web import AnyRequest

COOKIE_NAME = "visitor"
# Under https: Secure, Path=/ and no Domain, so a sibling subdomain cannot plant a visitor.
SECURE_COOKIE_NAME = "__Host-visitor"
_TWO_YEARS = 2 * 365 * 24 * 3600


def mint_visitor_id() -> str:
    return secrets.token_urlsafe(18)  # 144 random bits


def sign(visitor_id: str, key: bytes) -> str:
    return f"{visitor_id}.{_mac(visitor_id, key)}"


def verify(cookie: str, key: bytes) -> str | None:
    """The visitor id if the cookie is one we issued, else None (forged, truncated, garbage)."""
    visitor_id, _, mac = cookie.partition(".")
    if len(visitor_id) != 24 or not hmac.compare_digest(mac, _mac(visitor_id, key)):
        return None
    return visitor_id


def _mac(visitor_id: str, key: bytes) -> str:
    digest = hmac.new(key, b"visitor:" + visitor_id.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode()


class VisitorMiddleware(ASGIMiddleware):
    """Reads or issues the visitor cookie and leaves the id in the request state."""

    scopes = (ScopeType.HTTP,)

    def __init__(self, secret_key: str, *, secure: bool) -> None:
        self.should_bypass_for_scope = _needs_no_visitor
        self._key = hashlib.sha256(b"visitor-cookie:" + secret_key.encode()).digest()
        self._secure = secure
        self._name = SECURE_COOKIE_NAME if secure else COOKIE_NAME

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        cookie = AnyRequest(scope).cookies.get(self._name, "")
        visitor_id = verify(cookie, self._key)
        if visitor_id is not None:
            scope["state"]["visitor_id"] = visitor_id
            await next_app(scope, receive, send)
            return

        visitor_id = mint_visitor_id()
        scope["state"]["visitor_id"] = visitor_id
        set_cookie = Cookie(
            key=self._name,
            value=sign(visitor_id, self._key),
            max_age=_TWO_YEARS,
            path="/",
            httponly=True,
            samesite="lax",
            secure=self._secure,
        ).to_encoded_header()

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), set_cookie]
            await send(message)

        await next_app(scope, receive, send_with_cookie)


# Asked by machines, which keep no cookie: a visitor each time would be a Set-Cookie each time.
_PROBES = frozenset({"/healthz", "/readyz", "/metrics"})


def _needs_no_visitor(scope: Scope) -> bool:
    path: str = scope["path"]
    return path.startswith(("/static/", "/webhooks/", "/stripe-sandbox/v1/")) or path in _PROBES


def current_visitor(request: AnyRequest) -> str:
    visitor_id: str = request.state.visitor_id
    return visitor_id
