"""Small htmx helpers: who is asking, and answering with a fragment or the whole page."""

from __future__ import annotations

from typing import Any, Protocol

from litestar import Request
from litestar.di import NamedDependency
from litestar.response import Template

AnyRequest = Request[Any, Any, Any]
# The visitor id the VisitorMiddleware put in the request state (see app/visitor.py).
VisitorId = NamedDependency[str]
# The client's address as app.orders.throttle.TrustedProxies reads it (main: client_address).
ClientAddress = NamedDependency[str]


class Page(Protocol):
    @property
    def status_code(self) -> int: ...

    def context(self) -> dict[str, Any]: ...


def is_htmx(request: AnyRequest) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def for_htmx(
    request: AnyRequest, page: Page, *, template: str, fragment: str, status_code: int | None = None
) -> Template:
    """The fragment htmx swaps in, or the whole page (which includes that fragment) otherwise."""
    return Template(
        fragment if is_htmx(request) else template,
        context=page.context(),
        status_code=status_code or page.status_code,
    )
