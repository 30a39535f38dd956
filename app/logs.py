"""Log lines an operator can query: LOG_FORMAT=json gives one JSON object a line, stable keys,
and every request an id (X-Request-ID) that its lines carry."""

from __future__ import annotations

import copy
import json
import logging
import re
import secrets
from datetime import UTC, datetime
from typing import Any

from litestar.enums import ScopeType
from litestar.logging import LoggingConfig
from litestar.logging.config import default_handlers
from litestar.middleware import ASGIMiddleware
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app import log_context

_TEXT = "%(levelname)s - %(asctime)s - %(name)s - %(module)s - %(message)s"  # Litestar's
# An id a proxy in front chose (nginx's $request_id, say) is kept if it looks like one.
_INBOUND_ID = re.compile(rb"[A-Za-z0-9._-]{8,64}")


class LogContext(logging.Filter):
    """Puts the request's and the order's ids on the record, in the thread that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = log_context.request_id.get()
        if not hasattr(record, "order_id"):
            record.order_id = log_context.order_id.get()
        return True


class JsonLines(logging.Formatter):
    """time, level, logger, message, request_id, order_id; `exception` when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
            "order_id": getattr(record, "order_id", None),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class RequestIds(ASGIMiddleware):
    """A fresh id per request (or the proxy's), in the context and in X-Request-ID."""

    scopes = (ScopeType.HTTP,)

    async def handle(self, scope: Scope, receive: Receive, send: Send, next_app: ASGIApp) -> None:
        inbound = next((v for k, v in scope["headers"] if k == b"x-request-id"), b"")
        request = inbound.decode() if _INBOUND_ID.fullmatch(inbound) else secrets.token_hex(8)
        header = (b"x-request-id", request.encode())
        ids = log_context.request_id.set(request), log_context.order_id.set(None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        try:
            await next_app(scope, receive, send_with_id)
        finally:
            log_context.request_id.reset(ids[0])
            log_context.order_id.reset(ids[1])


def logging_config(log_format: str, level: str) -> LoggingConfig:
    handlers = copy.deepcopy(default_handlers)
    # On the handler, so it runs where the line was logged, before any queue or thread.
    handlers["queue_listener"]["filters"] = ["context"]
    loggers: dict[str, dict[str, Any]] = {
        # One line per Stripe request at INFO is noise; failures are logged by the gateway.
        "httpx": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
        # Its DEBUG lines carry every query's parameters: buyers' emails and addresses.
        "aiosqlite": {"level": "INFO"},
    }
    formatters: dict[str, dict[str, Any]] = {"standard": {"format": _TEXT}}
    if log_format == "json":
        formatters["standard"] = {"()": "app.logs.JsonLines"}
        # uvicorn's own lines (start, errors, the access log) as JSON lines too.
        loggers["uvicorn"] = {"handlers": ["queue_listener"], "propagate": False}
        loggers["uvicorn.access"] = {
            "handlers": ["queue_listener"],
            "propagate": False,
            "filters": ["without_query"],
        }
    return LoggingConfig(
        root={"level": level, "handlers": ["queue_listener"]},
        filters={
            "context": {"()": "app.logs.LogContext"},
            "without_query": {"()": "app.access_log.WithoutQuery"},
        },
        handlers=handlers,
        loggers=loggers,
        formatters=formatters,
        log_exceptions="never",
        disable_stack_trace={404, 405},
    )
