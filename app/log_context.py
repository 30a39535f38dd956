"""What a log line is about, beyond its message: the request it serves, the order it concerns."""

from __future__ import annotations

from contextvars import ContextVar

# Set by app/logs.py's middleware for each request, read by every log line written meanwhile.
request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
order_id: ContextVar[int | None] = ContextVar("order_id", default=None)


def about_order(order: int) -> None:
    """From here on, this request's (or task's) log lines name `order`."""
    order_id.set(order)
