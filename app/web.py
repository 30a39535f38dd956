"""Small htmx helpers: who is asking, and whether they get a fragment or the whole page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from litestar import Request
from litestar.response import Template

AnyRequest = Request[Any, Any, Any]


def is_htmx(request: AnyRequest) -> bool:
    # A history restore asks for the whole page even though htmx sends it.
    return (
        request.headers.get("hx-request") == "true"
        and request.headers.get("hx-history-restore-request") != "true"
    )


def page_or_fragment(
    request: AnyRequest,
    *,
    page: str,
    fragment: str,
    context: Mapping[str, Any],
    status_code: int = 200,
) -> Template:
    """The fragment for htmx; the full page (which includes that fragment) for a plain form."""
    name = fragment if is_htmx(request) else page
    return Template(template_name=name, context=dict(context), status_code=status_code)
