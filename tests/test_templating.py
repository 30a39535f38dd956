"""Rows a page repeats are kept rendered per worker: bounded, and only values that may be kept."""

from __future__ import annotations

from dataclasses import dataclass

from jinja2 import DictLoader, Environment

from app.templating import RowCache

ROW = {"_row.html": "{% macro row(v) %}<li>{{ v.text }}</li>{% endmacro %}"}


@dataclass(frozen=True)
class Value:
    text: str
    cacheable: bool = True


def rows(size: int, *, reloading: bool = False) -> RowCache:
    environment = Environment(loader=DictLoader(ROW), autoescape=True, auto_reload=reloading)
    return RowCache(environment, "_row.html", "row", size=size)


def test_kept_rows_are_bounded_oldest_first() -> None:
    kept = rows(2)
    assert [str(kept(Value(t))) for t in ("a", "<b>", "c")] == [
        "<li>a</li>",
        "<li>&lt;b&gt;</li>",
        "<li>c</li>",
    ]
    assert len(kept) == 2
    assert str(kept(Value("c"))) == "<li>c</li>" and len(kept) == 2


def test_only_cacheable_values_are_kept_and_none_while_templates_reload() -> None:
    kept = rows(10)
    assert str(kept(Value("typed <x>", cacheable=False))) == "<li>typed &lt;x&gt;</li>"
    assert len(kept) == 0
    reloading = rows(10, reloading=True)
    reloading(Value("a"))
    assert len(reloading) == 0
