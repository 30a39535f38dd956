"""Small htmx helpers: who is asking."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.di import NamedDependency

AnyRequest = Request[Any, Any, Any]
# The visitor id the VisitorMiddleware put in the request state (see app/visitor.py).
VisitorId = NamedDependency[str]


def is_htmx(request: AnyRequest) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )
