"""Request limits checked before anything is parsed: what one client can make a worker keep."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterable

from litestar.enums import ScopeType
from litestar.exceptions import HTTPException
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Receive, Scope, Send
from litestar.types.asgi_types import HTTPReceiveMessage, WebSocketReceiveMessage

logger = logging.getLogger("app.limits")

# Litestar keeps the last 1,024 parsed form bodies, query strings and cookie headers per worker
# (litestar/_parsers.py): these bounds keep that under a few MB, and the store's own forms and
# links far inside them (the cart form sends six fields).
MAX_QUERY_BYTES = 2048
MAX_QUERY_PARAMETERS = 32
MAX_COOKIE_BYTES = 4096
MAX_COOKIES = 32
MAX_HEADER_BYTES = 16 * 1024
MAX_FORM_BYTES = 8 * 1024
MAX_FORM_FIELDS = 32
# A form body trickling in byte by byte holds a connection and a task: this long, then 408.
FORM_BODY_SECONDS = 10.0
# A refused body up to the app's own limit is read and dropped so the client gets its answer.
DISCARD_BYTES = 64 * 1024
FORM = b"application/x-www-form-urlencoded"
# Bodies that are not the store's forms: Stripe's signed JSON, and the mounted sandbox's API
# (its own parser, nothing cached), bounded by the app's request_max_body_size instead.
NOT_FORMS = ("/webhooks/", "/stripe-sandbox/v1/")


class Refused(HTTPException):
    """A request over a limit, answered with the site's page for its status."""

    def __init__(self, status_code: int, reason: str) -> None:
        super().__init__(status_code=status_code, detail=reason)


class RequestLimits(ASGIMiddleware):
    """Refuses oversized query strings (414), headers (431) and form bodies (413, 415)."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        if scope["type"] != ScopeType.HTTP:  # never, given `scopes`; it narrows the type
            await next_app(scope, receive, send)
            return
        try:
            _check_query(scope["query_string"])
            _check_headers(scope["headers"])
            if scope["method"] == "POST" and not scope["path"].startswith(NOT_FORMS):
                receive = _replay(await _read_form(scope, receive), receive)
        except Refused as refused:
            # One line, no traceback: this is a client's doing, not the store's.
            logger.info("refused %s %s: %s", scope["method"], scope["path"], refused.detail)
            raise
        await next_app(scope, receive, send)


def _check_query(query: bytes) -> None:
    if len(query) > MAX_QUERY_BYTES or query.count(b"&") >= MAX_QUERY_PARAMETERS:
        raise Refused(414, f"query string of {len(query)} bytes")


def _check_headers(headers: Iterable[tuple[bytes, bytes]]) -> None:
    total, cookie = 0, b""  # one pass: it runs on every request
    for name, value in headers:
        total += len(name) + len(value)
        if (
            name == b"cookie"
            and not cookie
            and (len(value) > MAX_COOKIE_BYTES or value.count(b";") >= MAX_COOKIES)
        ):
            cookie = value
    if total > MAX_HEADER_BYTES:
        raise Refused(431, "headers over the limit")
    if cookie:
        raise Refused(431, f"cookie header of {len(cookie)} bytes")


async def _read_form(scope: Scope, receive: Receive) -> bytes:
    headers = dict(scope["headers"])
    content_type = headers.get(b"content-type", b"").split(b";")[0].strip().lower()
    length = headers.get(b"content-length", b"0")
    has_body = length != b"0" or b"transfer-encoding" in headers
    # An empty POST parses to nothing whatever its type: the CSRF check answers it as usual.
    if content_type != FORM and has_body:
        await _discard(receive)
        raise Refused(415, f"body of type {content_type[:60]!r}")
    if not length.isdigit() or int(length) > MAX_FORM_BYTES:
        await _discard(receive)
        raise Refused(413, f"form body of {length[:20]!r} bytes")
    body = b""
    more = True
    try:
        async with asyncio.timeout(FORM_BODY_SECONDS):
            while more:
                message = await receive()
                if message["type"] != "http.request":
                    break  # the client went away: the app sees an empty body, answers no one
                body += message.get("body", b"")
                more = message.get("more_body", False)
                if len(body) > MAX_FORM_BYTES:
                    await _discard(receive)
                    raise Refused(413, "form body over the limit")
    except TimeoutError:
        raise Refused(408, f"form body still incomplete after {FORM_BODY_SECONDS:g} s") from None
    if body.count(b"&") >= MAX_FORM_FIELDS:
        raise Refused(413, f"form of {body.count(b'&') + 1} fields")
    return body


async def _discard(receive: Receive) -> None:
    """Read what the client is still sending, keeping none of it, so it hears the refusal:
    answering mid-upload makes the server close a connection the client is still writing to."""
    seen = 0
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(FORM_BODY_SECONDS):
            while seen <= DISCARD_BYTES:
                message = await receive()
                chunk = message.get("body", b"")
                seen += len(chunk) if isinstance(chunk, bytes) else 0
                if message["type"] != "http.request" or not message.get("more_body", False):
                    return


def _replay(body: bytes, receive: Receive) -> Receive:
    """The body already read, then the connection's own messages (a disconnect, say)."""
    pending = True

    async def replayed() -> HTTPReceiveMessage | WebSocketReceiveMessage:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replayed
