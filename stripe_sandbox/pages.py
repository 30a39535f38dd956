"""The hosted pages' own Jinja templates, rendered apart from any template setup of a host app."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar import Request, Response
from litestar.enums import MediaType
from litestar.utils.empty import value_or_default
from litestar.utils.scope.state import ScopeState
from markupsafe import Markup

from stripe_sandbox.money import money

PACKAGE = Path(__file__).resolve().parent
TEMPLATES = PACKAGE / "templates"
STATIC = PACKAGE / "static"
STATIC_ROUTE = "stripe-sandbox-static"


class Pages:
    def __init__(self) -> None:
        self._jinja = Environment(
            loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(), auto_reload=False
        )
        self._jinja.filters["money"] = money

    def render(
        self,
        request: Request[Any, Any, Any],
        name: str,
        context: dict[str, Any],
        *,
        status_code: int = 200,
        headers: dict[str, str] | None = None,
    ) -> Response[str]:
        # Whichever CSRFConfig guards the app (the sandbox's or its host's) left its token here.
        token = value_or_default(ScopeState.from_scope(request.scope).csrf_token, "")
        html = self._jinja.get_template(name).render(
            **context,
            csrf_input=Markup('<input type="hidden" name="_csrf_token" value="{}" />').format(
                token
            ),
            stylesheet_url=request.app.route_reverse(STATIC_ROUTE, file_path="/sandbox.css"),
            favicon_url=request.app.route_reverse(STATIC_ROUTE, file_path="/favicon.svg"),
        )
        return Response(html, status_code=status_code, media_type=MediaType.HTML, headers=headers)
