"""Every error is a page of the site (or, for htmx, a message in the page's alert region)."""

from __future__ import annotations

import logging
import sqlite3
from typing import Any

from asyncpg.exceptions import (
    InternalClientError,
    OperatorInterventionError,
    PostgresConnectionError,
    TooManyConnectionsError,
)
from litestar import Response
from litestar.exceptions import HTTPException
from litestar.response import Template

from app.web import AnyRequest, is_htmx

logger = logging.getLogger("app.errors")

# Our own words for each status: a framework's detail text can name internals, so it never shows.
_COPY: dict[int, tuple[str, str]] = {
    400: ("Bad request", "The request could not be understood. Please go back and try again."),
    403: (
        "Forbidden",
        "This form has expired or was not sent from this site. Reload the page and try again.",
    ),
    404: ("Page not found", "There is nothing at this address."),
    405: ("Not allowed", "This address does not accept that kind of request."),
    408: ("Too slow", "The request took too long to arrive. Please try again."),
    413: ("Too large", "That request was larger than this shop accepts."),
    414: ("Address too long", "That address was longer than this shop accepts."),
    415: ("Not a form of this shop", "That request was not sent the way this shop's forms send."),
    422: (
        "Check your input",
        "Some of what was sent could not be used. Please correct it and try again.",
    ),
    429: ("Slow down", "Too many requests. Please wait a moment and try again."),
    431: (
        "Headers too large",
        "That request carried more headers or cookies than this shop accepts.",
    ),
    500: (
        "Something went wrong",
        "Something went wrong on our side. Please try again in a moment.",
    ),
    503: ("Briefly unavailable", "The shop is briefly unavailable. Please try again in a moment."),
}


def error_response(
    request: AnyRequest,
    status_code: int,
    *,
    message: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Any]:
    fallback = _COPY[500] if status_code >= 500 else _COPY[400]
    title, default_message = _COPY.get(status_code, fallback)
    context = {
        "status_code": status_code,
        "title": title,
        "message": message or default_message,
        # The owner's pages lead back to the dashboard (its guard still decides who sees it).
        "owner_page": request.url.path.startswith("/owner/"),
    }
    if is_htmx(request):
        # Swap the message into the alert region instead of over whatever the request targeted.
        headers = {**(headers or {}), "HX-Retarget": "#flash", "HX-Reswap": "outerHTML"}
        return Template("_flash.html", context=context, status_code=status_code, headers=headers)
    return Template("error.html", context=context, status_code=status_code, headers=headers)


def http_exception_handler(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    headers = {k: v for k, v in (exc.headers or {}).items() if k.lower() == "allow"}
    return error_response(request, exc.status_code, headers=headers)


# The database is down, restarting, full or busy: a passing outage to retry, not a bug.
_OUTAGES = (
    ConnectionError,
    TimeoutError,
    PostgresConnectionError,
    OperatorInterventionError,
    TooManyConnectionsError,
    # A pooled connection the server dropped mid-query; the pool replaces it on the next acquire.
    InternalClientError,
)


def database_unavailable(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, _OUTAGES):
            return True
        if isinstance(seen, sqlite3.OperationalError) and "database is locked" in str(seen):
            return True  # SQLite's busy timeout ran out behind other writers
        seen = seen.__cause__ or seen.__context__
    return False


def server_error_handler(request: AnyRequest, exc: Exception) -> Response[Any]:
    if database_unavailable(exc):
        # A 503 tells a browser to try again and makes Stripe retry a webhook later.
        logger.warning("database unavailable on %s %s: %r", request.method, request.url.path, exc)
        return error_response(request, 503, headers={"retry-after": "5"})
    logger.exception("unhandled error on %s %s", request.method, request.url.path)
    return error_response(request, 500)
