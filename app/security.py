"""Response headers every page carries: a strict CSP and the usual browser hardening."""

from __future__ import annotations

from collections.abc import Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope


def content_security_policy(form_targets: Iterable[str] = ()) -> str:
    """No inline script or style anywhere; forms may also post to the payment page's origin."""
    form_action = " ".join(["'self'", *form_targets])
    return "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            f"form-action {form_action}",
            "frame-ancestors 'none'",
            "base-uri 'none'",
        ]
    )


def security_headers(csp: str) -> BeforeMessageSendHookHandler:
    """A before_send hook, so 404s and errors raised before routing get the headers too."""
    fixed = {
        "content-security-policy": csp,
        "x-content-type-options": "nosniff",
        "referrer-policy": "same-origin",
        "x-frame-options": "DENY",
        "cross-origin-opener-policy": "same-origin",
        "permissions-policy": "camera=(), microphone=(), geolocation=(), payment=()",
    }

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start":
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in fixed.items():
            headers[name] = value
        # Pages carry CSRF tokens and, later, orders: no shared or back-forward cache keeps them.
        if "text/html" in headers.get("content-type", "") and "cache-control" not in headers:
            headers["cache-control"] = "no-store"
        if scope["path"] == "/owner" or scope["path"].startswith("/owner/"):
            # Every answer of the owner's side, redirects and errors too: never kept, never indexed.
            headers["cache-control"] = "no-store"
            headers["x-robots-tag"] = "noindex, nofollow"
        if scope["path"].startswith("/order/"):
            # An order's own page: its URL is the secret, so it is never kept, indexed or passed on.
            headers["cache-control"] = "no-store"
            headers["x-robots-tag"] = "noindex, nofollow"
            headers["referrer-policy"] = "no-referrer"

    return add_headers
