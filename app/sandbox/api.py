"""The /v1 API: each route names its operation and service; `call` does the rest, as Stripe does."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl

from litestar import Response, get, post, route
from litestar.exceptions import HTTPException
from litestar.params import FromPath

from app.sandbox import events, listing, refunds, sessions
from app.sandbox.errors import StripeError
from app.sandbox.faults import before_request
from app.sandbox.idempotency import claim, fingerprint, release, scoped, store
from app.sandbox.objects import Json, new_id
from app.sandbox.runtime import Sandbox, SandboxDep
from app.sandbox.validation import validate_request
from app.web import AnyRequest

Action = Callable[[Json], Awaitable[Json]]
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


async def call(
    request: AnyRequest, sandbox: SandboxDep, operation: str, action: Action
) -> Response[bytes]:
    """Authenticate, inject faults, validate, run once per idempotency key, answer Stripe's way."""
    try:
        _authenticate(request, sandbox)
        await before_request(sandbox.faults)
        pairs = await _pairs(request)
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        if key is None:
            return _respond(*await _run(operation, pairs, action))
        scoped_key = scoped(sandbox.config.account, key)
        stored = await claim(scoped_key, fingerprint(request.method, request.url.path, pairs))
    except StripeError as error:
        return _respond(error.status_code, json.dumps(error.body()), error.headers)
    if stored is not None:
        return _respond(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})
    try:
        status_code, body = await _run(operation, pairs, action)
    except BaseException:
        # Nothing to replay: let a retry with the same key run afresh.
        await release(scoped_key)
        raise
    await store(scoped_key, status_code, body)
    return _respond(status_code, body, {"Idempotency-Key": key})


async def _run(operation: str, pairs: list[tuple[str, str]], action: Action) -> tuple[int, str]:
    try:
        return 200, json.dumps(await action(validate_request(operation, pairs)))
    except StripeError as error:
        return error.status_code, json.dumps(error.body())


def _authenticate(request: AnyRequest, sandbox: Sandbox) -> None:
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    key = ""
    if scheme.lower() == "bearer":
        key = credentials.strip()
    elif scheme.lower() == "basic":
        try:
            key = base64.b64decode(credentials, validate=True).decode().partition(":")[0]
        except (binascii.Error, UnicodeDecodeError):
            key = ""
    challenge = {"WWW-Authenticate": 'Bearer realm="Stripe"'}
    if not key:
        raise StripeError(401, _NO_KEY, headers=challenge)
    # The key is never echoed: a wrong one may be somebody's real secret.
    if not hmac.compare_digest(key.encode(), sandbox.config.api_key.encode()):
        raise StripeError(401, "Invalid API Key provided.", headers=challenge)


async def _pairs(request: AnyRequest) -> list[tuple[str, str]]:
    if request.method == "GET":
        raw = request.scope["query_string"]
    else:
        raw = await request.body()
    try:
        return parse_qsl(raw.decode(), keep_blank_values=True, strict_parsing=False)
    except UnicodeDecodeError:
        raise StripeError(400, "Request parameters must be UTF-8.") from None


def _respond(status_code: int, body: str, headers: dict[str, str] | None = None) -> Response[bytes]:
    return Response(
        body.encode(),
        status_code=status_code,
        media_type="application/json",
        headers={"Request-Id": new_id("req_", 14), "Cache-Control": "no-store", **(headers or {})},
    )


def http_error(request: AnyRequest, exc: HTTPException) -> Response[bytes]:
    """Framework errors under /v1 (unknown URL, wrong method) in Stripe's shape, not as pages."""
    message = "Unrecognized request URL." if exc.status_code in {404, 405} else "Invalid request."
    error = StripeError(exc.status_code, message)
    return _respond(error.status_code, json.dumps(error.body()))


@post("/v1/checkout/sessions", exclude_from_csrf=True, cache=False)
async def create_checkout_session(request: AnyRequest, sandbox: SandboxDep) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "POST /v1/checkout/sessions",
        lambda params: sessions.create_session(sandbox.config, params),
    )


@get("/v1/checkout/sessions", exclude_from_csrf=True, cache=False)
async def list_checkout_sessions(request: AnyRequest, sandbox: SandboxDep) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "GET /v1/checkout/sessions",
        lambda params: listing.list_sessions(sandbox.config, params),
    )


@get("/v1/checkout/sessions/{session_id:str}", exclude_from_csrf=True, cache=False)
async def retrieve_checkout_session(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "GET /v1/checkout/sessions/{session}",
        lambda params: sessions.retrieve_session(sandbox.config, session_id, params),
    )


@get("/v1/checkout/sessions/{session_id:str}/line_items", exclude_from_csrf=True, cache=False)
async def checkout_session_line_items(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "GET /v1/checkout/sessions/{session}/line_items",
        lambda params: sessions.list_line_items(sandbox.config, session_id, params),
    )


@post("/v1/checkout/sessions/{session_id:str}/expire", exclude_from_csrf=True, cache=False)
async def expire_checkout_session(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "POST /v1/checkout/sessions/{session}/expire",
        lambda params: sessions.expire_session(sandbox.config, session_id),
    )


@get("/v1/events", exclude_from_csrf=True, cache=False)
async def list_events(request: AnyRequest, sandbox: SandboxDep) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "GET /v1/events",
        lambda params: events.list_events(sandbox.config.account, params),
    )


@get("/v1/events/{event_id:str}", exclude_from_csrf=True, cache=False)
async def retrieve_event(
    request: AnyRequest, sandbox: SandboxDep, event_id: FromPath[str]
) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "GET /v1/events/{id}",
        lambda params: events.get_event(sandbox.config.account, event_id),
    )


@post("/v1/refunds", exclude_from_csrf=True, cache=False)
async def create_refund(request: AnyRequest, sandbox: SandboxDep) -> Response[bytes]:
    return await call(
        request,
        sandbox,
        "POST /v1/refunds",
        lambda params: refunds.create_refund(sandbox.config, params),
    )


@route(
    "/v1/{rest:path}",
    http_method=["GET", "POST", "PUT", "PATCH", "DELETE"],
    exclude_from_csrf=True,
    cache=False,
)
async def unrecognized(request: AnyRequest) -> Response[bytes]:
    """What Stripe answers for an endpoint it (or this sandbox) does not have."""
    path = request.url.path[:200]
    error = StripeError(404, f"Unrecognized request URL ({request.method}: {path}).")
    return _respond(error.status_code, json.dumps(error.body()))


API_HANDLERS: list[Any] = [
    create_checkout_session,
    list_checkout_sessions,
    retrieve_checkout_session,
    checkout_session_line_items,
    expire_checkout_session,
    list_events,
    retrieve_event,
    create_refund,
    unrecognized,
]
