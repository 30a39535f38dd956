"""The /v1 API: a table of Stripe's operations and their services; `call` does the rest."""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import re
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Response, route
from litestar.enums import HttpMethod
from litestar.exceptions import HTTPException
from litestar.handlers import HTTPRouteHandler

from stripe_sandbox import events, listing, refunds, sessions
from stripe_sandbox.errors import StripeError
from stripe_sandbox.faults import before_request
from stripe_sandbox.idempotency import claim, fingerprint, release, scoped, store
from stripe_sandbox.objects import Json, new_id
from stripe_sandbox.params import decode
from stripe_sandbox.runtime import AnyRequest, Sandbox, SandboxDep
from stripe_sandbox.validation import validate_request
from stripe_sandbox.versions import render, requested_version

# A service: (settings, validated params, *the ids in the path) -> the Stripe object.
Action = Callable[..., Awaitable[Json]]
Run = Callable[[Json], Awaitable[Json]]
_PATH_ID = re.compile(r"\{(\w+)\}")
_NO_KEY = (
    "You did not provide an API key. You need to provide your API key in the Authorization "
    "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY')."
)


async def call(
    request: AnyRequest, sandbox: SandboxDep, operation: str, run: Run
) -> Response[bytes]:
    """Authenticate, inject faults, validate, run once per idempotency key, answer Stripe's way."""
    try:
        _authenticate(request, sandbox)
        # Sessions are answered in the shape of the API version asked for (see versions.py).
        version = requested_version(request.headers.get("stripe-version"))
        await before_request(sandbox.faults)
        pairs = await _pairs(request)
        key = request.headers.get("idempotency-key") if request.method == "POST" else None
        if key is None:
            return _respond(*await _run(operation, pairs, run, version))
        scoped_key = scoped(sandbox.settings.account, key)
        stored = await claim(scoped_key, fingerprint(request.method, request.url.path, pairs))
    except StripeError as error:
        return _respond(error.status_code, json.dumps(error.body()), error.headers)
    if stored is not None:
        return _respond(stored.status_code, stored.body, {"Idempotent-Replayed": "true"})
    try:
        status_code, body = await _run(operation, pairs, run, version)
    except BaseException:
        # Nothing to replay: let a retry with the same key run afresh.
        await release(scoped_key)
        raise
    await store(scoped_key, status_code, body)
    return _respond(status_code, body, {"Idempotency-Key": key})


async def _run(
    operation: str, pairs: list[tuple[str, str]], run: Run, version: str
) -> tuple[int, str]:
    try:
        return 200, json.dumps(render(await run(validate_request(operation, pairs)), version))
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
    if not hmac.compare_digest(key.encode(), sandbox.settings.api_key.encode()):
        raise StripeError(401, "Invalid API Key provided.", headers=challenge)


async def _pairs(request: AnyRequest) -> list[tuple[str, str]]:
    if request.method == "GET":
        raw = request.scope["query_string"]
    else:
        raw = await request.body()
    return decode(raw)


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


# Each operation as Stripe's description names it, and what runs it: the path's ids come last.
OPERATIONS: dict[str, Action] = {
    "POST /v1/checkout/sessions": sessions.create_session,
    "GET /v1/checkout/sessions": listing.list_sessions,
    "GET /v1/checkout/sessions/{session}": sessions.retrieve_session,
    "GET /v1/checkout/sessions/{session}/line_items": sessions.list_line_items,
    "POST /v1/checkout/sessions/{session}/expire": sessions.expire_session,
    "GET /v1/events": events.list_events,
    "GET /v1/events/{id}": events.retrieve_event,
    "POST /v1/refunds": refunds.create_refund,
}


def operation_handler(operation: str, action: Action) -> HTTPRouteHandler:
    """One route for one operation: Stripe's `{session}` becomes Litestar's `{session:str}`."""
    method, path = operation.split(" ")

    async def handle(request: AnyRequest, sandbox: SandboxDep) -> Response[bytes]:
        ids = request.path_params.values()
        return await call(
            request, sandbox, operation, lambda params: action(sandbox.settings, params, *ids)
        )

    declare = route(
        _PATH_ID.sub(r"{\1:str}", path),
        http_method=HttpMethod(method),
        exclude_from_csrf=True,
        cache=False,
    )
    return declare(handle)


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


def api_handlers() -> list[Any]:
    """Fresh handlers for each app: Litestar binds a handler to the one app it serves."""
    return [*(operation_handler(*entry) for entry in OPERATIONS.items()), unrecognized]
