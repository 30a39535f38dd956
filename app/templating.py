"""The Jinja environment, and the rows a page repeats rendered once per worker, not per view."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from jinja2 import Environment, FileSystemLoader
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from markupsafe import Markup

from app.settings import PROJECT_ROOT


def template_engine(
    configure: Callable[[JinjaTemplateEngine], None], debug: bool
) -> TemplateConfig[JinjaTemplateEngine]:
    """Jinja re-reads an edited template only in DEBUG: otherwise every include stats its file."""
    environment = Environment(
        loader=FileSystemLoader(PROJECT_ROOT / "templates"), autoescape=True, auto_reload=debug
    )
    engine = JinjaTemplateEngine.from_environment(environment)
    configure(engine)  # TemplateConfig calls engine_callback only on engines it builds itself
    environment.globals["order_row"] = RowCache(environment, "_order_row.html", "order_row")
    environment.globals["cart_body"] = RowCache(environment, "_cart_body.html", "cart_body", 1024)
    return TemplateConfig(instance=engine)


class RowCache:
    """A macro's output per argument, for arguments that are frozen values of everything shown.

    The key is the whole value (for an order: every field the row shows, its lines included),
    so a changed order is a new key and can never be served stale; an unchanged one costs a
    hash instead of a render. Only values whose `cacheable` is true are kept (a settled order:
    one in flight changes in seconds), at most `size` of them, the oldest dropped first.
    """

    def __init__(self, environment: Environment, template: str, macro: str, size: int = 4096):
        self._environment, self._template, self._macro = environment, template, macro
        self._size = size
        self._rows: dict[Hashable, Markup] = {}

    def __call__(self, value: Any) -> Markup:
        row = self._rows.get(value)
        if row is None:
            macro = getattr(self._environment.get_template(self._template).module, self._macro)
            row = macro(value)  # Markup: the environment autoescapes
            # Not while templates are re-read (DEBUG): an edited one would not show.
            if getattr(value, "cacheable", False) and not self._environment.auto_reload:
                if len(self._rows) >= self._size:
                    del self._rows[next(iter(self._rows))]
                self._rows[value] = row
        return row

    def __len__(self) -> int:
        return len(self._rows)
