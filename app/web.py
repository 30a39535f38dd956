"""Small htmx helpers: who is asking, and answering with a fragment or the whole page."""

from __future__ import annotations

import re
from typing import Annotated, Any, Protocol

from litestar import Request
from litestar.di import NamedDependency
from litestar.enums import MediaType
from litestar.params import Parameter
from litestar.response import Template

from app.db import MAX_SERIAL

AnyRequest = Request[Any, Any, Any]
# The visitor id the VisitorMiddleware put in the request state (see app/visitor.py).
VisitorId = NamedDependency[str]
# The client's address as app.orders.throttle.TrustedProxies reads it (main: client_address).
ClientAddress = NamedDependency[str]
# A larger order id names no order: refused with a 400 before the database is asked.
MAX_ORDER_ID = MAX_SERIAL
RowIdParam = Annotated[int, Parameter(ge=1, le=MAX_SERIAL)]  # any serial id in a path
OrderIdParam = RowIdParam
# C0 controls and DEL (NUL above all: PostgreSQL refuses it in text): never in a name or a search.
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


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
        media_type=MediaType.HTML,  # else Litestar guesses it from the name on every response
    )
