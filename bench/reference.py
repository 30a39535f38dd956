"""The hand-written reference: the same pages from raw asyncpg and the same Jinja, no ORM."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from litestar import Litestar, Request, get, post
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Template

from app.catalog.cart import Cart, ProductView, read_cart
from app.live.wiring import Live
from app.main import checkout_origins
from app.money import format_money
from app.orders.queries import LineView, OrderStatus, OrderView
from app.security import content_security_policy, security_headers
from app.settings import load_settings
from app.templating import template_engine
from app.visitor import VisitorMiddleware, current_visitor

PRODUCTS = "SELECT sku, name, description, price_cents, currency FROM product ORDER BY id"
# A visitor's newest 20 orders joined to their lines: one round trip.
ORDERS = """
    SELECT o.id, o.visitor_id, o.status, o.currency, o.total_cents, o.refunded_cents,
           o.created_at, o.stripe_session_id, o.stripe_session_url, o.livemode,
           l.sku, l.name, l.unit_price_cents, l.quantity
      FROM (SELECT * FROM shop_order WHERE visitor_id = $1
             ORDER BY created_at DESC, id DESC LIMIT 20) AS o
      LEFT JOIN shop_order_line AS l ON l."order" = o.id
     ORDER BY o.created_at DESC, o.id DESC, l.id
"""
_pool: asyncpg.Pool | None = None


@asynccontextmanager
async def pool(app: Litestar) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(load_settings().database.url, min_size=2, max_size=10)
    try:
        yield
    finally:
        await _pool.close()


async def cart(fields: Iterable[tuple[str, str]]) -> Cart:
    assert _pool is not None
    rows = await _pool.fetch(PRODUCTS)
    return read_cart([ProductView(**row) for row in rows], fields)


async def orders(visitor_id: str) -> list[OrderView]:
    assert _pool is not None
    views: dict[int, dict[str, Any]] = {}
    for row in await _pool.fetch(ORDERS, visitor_id):
        order = views.get(row["id"])
        if order is None:
            order = views[row["id"]] = {k: row[k] for k in list(row.keys())[:10]}
            order["status"], order["lines"] = OrderStatus(row["status"]), []
        if row["sku"] is not None:
            order["lines"].append(LineView(*list(row.values())[10:]))
    return [OrderView(**{**o, "lines": tuple(o["lines"])}) for o in views.values()]


@get("/")
async def shop(request: Request[Any, Any, Any], visitor_id: str) -> Template:
    fields = request.query_params.multi_items()
    context = {"cart": await cart(fields), "orders": await orders(visitor_id)}
    return Template("shop.html", context=context)


@post("/cart")
async def update_cart(request: Request[Any, Any, Any]) -> Template:
    priced = await cart((await request.form()).multi_items())
    return Template(
        "_cart.html", context={"cart": priced}, status_code=200 if priced.valid else 422
    )


@get("/orders")
async def my_orders(visitor_id: str) -> Template:
    return Template("_orders.html", context={"orders": await orders(visitor_id)})


def _jinja(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["money"] = format_money
    # Only its presence matters: the run compares pages with their tokens masked.
    engine.engine.globals["new_checkout_token"] = lambda: secrets.token_urlsafe(16)
    engine.engine.globals["payments_simulated"] = False
    # The bench's visitor has nothing in flight, so the store's page connects no stream either.
    engine.engine.globals["live"] = Live(streams=None, how="polling (the reference)")


def create_app() -> Litestar:
    settings = load_settings()
    return Litestar(
        route_handlers=[shop, update_cart, my_orders],
        dependencies={"visitor_id": Provide(current_visitor, sync_to_thread=False)},
        # The store's own environment (its row caches too): the same templates, rendered alike.
        template_config=template_engine(_jinja, debug=False),
        csrf_config=CSRFConfig(
            secret=settings.secret_key, cookie_httponly=True, cookie_samesite="lax"
        ),
        middleware=[VisitorMiddleware(settings.secret_key, secure=settings.https)],
        before_send=[security_headers(content_security_policy(checkout_origins(settings)))],
        lifespan=[pool],
        openapi_config=None,
    )
