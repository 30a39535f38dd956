"""The sandbox's response headers: a CSP with no inline anything, and the browser hardening."""

from __future__ import annotations

from collections.abc import Iterable

from litestar.datastructures import MutableScopeHeaders
from litestar.types import BeforeMessageSendHookHandler, Message, Scope

# The hosted pages run no script at all and load one stylesheet from the sandbox itself.
_POLICY = {
    "default-src": "'none'",
    "style-src": "'self'",
    "img-src": "'self'",
    "frame-ancestors": "'none'",
    "base-uri": "'none'",
}
_HARDENING = (
    ("x-content-type-options", "nosniff"),
    ("referrer-policy", "same-origin"),
    ("x-frame-options", "DENY"),
    ("cross-origin-opener-policy", "same-origin"),
    ("permissions-policy", "camera=(), microphone=(), geolocation=(), payment=()"),
)


def page_policy(form_origins: Iterable[str] = ()) -> str:
    """Forms post to the sandbox; Chromium also checks form-action on the redirect that follows."""
    directives = {**_POLICY, "form-action": " ".join(["'self'", *form_origins])}
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def sandbox_headers(path_prefix: str = "/") -> BeforeMessageSendHookHandler:
    """A before_send hook for the responses under `path_prefix`, errors before routing included.

    A page's own CSP (naming the shop's origins) is kept; anything else gets the default one.
    """
    default_policy = page_policy()

    async def add_headers(message: Message, scope: Scope) -> None:
        if message["type"] != "http.response.start" or not scope["path"].startswith(path_prefix):
            return
        headers = MutableScopeHeaders.from_message(message)
        for name, value in _HARDENING:
            headers[name] = value
        if "content-security-policy" not in headers:
            headers["content-security-policy"] = default_policy
        # Hosted pages carry CSRF tokens and a buyer's order: no cache keeps them.
        if "text/html" in headers.get("content-type", "") and "cache-control" not in headers:
            headers["cache-control"] = "no-store"

    return add_headers
