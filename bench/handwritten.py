"""A shop page written by hand (one template of its own, raw asyncpg): what GET / could cost.

bench/reference.py renders the store's own templates, so their cost cancels out of its ratio;
this one shows the same visible content from bench/handwritten.html and never imports the
store's templates or view code. It keeps what any version of the page must do: the visitor's
signed cookie and the CSRF check (the store's middleware, as the reference), a fresh signed
checkout token per form, the same response headers, and the same 2 s product display cache.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg
from jinja2 import Environment, FileSystemLoader
from litestar import Litestar, Request, Response, get, post
from litestar.config.csrf import CSRFConfig
from litestar.template.base import csrf_token

from app.main import checkout_origins
from app.security import content_security_policy, security_headers
from app.settings import load_settings
from app.visitor import VisitorMiddleware

PRODUCTS = "SELECT sku, name, description, price_cents FROM product ORDER BY id"
ORDERS = """
    SELECT o.id, o.status, o.total_cents, o.refunded_cents, o.shipping_cents, o.created_at,
           o.livemode, o.fulfilment, o.shipped_at, o.carrier, o.tracking_number,
           l.quantity, l.name, l.unit_price_cents * l.quantity
      FROM (SELECT * FROM shop_order WHERE visitor_id = $1
             ORDER BY created_at DESC, id DESC LIMIT 20) AS o
      LEFT JOIN shop_order_line AS l ON l."order" = o.id
     ORDER BY o.created_at DESC, o.id DESC, l.id
"""
WORDS = {
    "pending": "Awaiting payment", "processing": "Payment processing", "paid": "Paid",
    "failed": "Payment failed", "canceled": "Canceled", "expired": "Expired",
    "refunded": "Refunded", "partially_refunded": "Partially refunded",
    "needs_review": "Under review",
}  # fmt: skip
_env = Environment(loader=FileSystemLoader(Path(__file__).parent), autoescape=True)
_env.globals |= {"words": WORDS, "money": lambda c: f"${c // 100:,}.{c % 100:02d}"}
_page = _env.get_template("handwritten.html")
_pool: asyncpg.Pool | None = None
_products: tuple[float, list[asyncpg.Record]] = (0.0, [])
_key = b""


@asynccontextmanager
async def pool(app: Litestar) -> AsyncIterator[None]:
    global _pool
    _pool = await asyncpg.create_pool(load_settings().database.url, min_size=2, max_size=10)
    try:
        yield
    finally:
        await _pool.close()


async def products() -> list[asyncpg.Record]:
    global _products
    assert _pool is not None
    if time.monotonic() - _products[0] >= 2.0:
        _products = (time.monotonic(), await _pool.fetch(PRODUCTS))
    return _products[1]


def cart(rows: list[asyncpg.Record], fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    form = dict(fields)
    lines, items, valid = [], 0, True
    step_sku, step = form.get("op", ":").partition(":")[2], 0
    if form.get("op", "").startswith(("inc:", "dec:")):
        step = 1 if form["op"].startswith("inc:") else -1
    for p in rows:
        raw = form.get(f"qty-{p['sku']}", "0").strip() or "0"
        qty = int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 3 else -1
        qty += step if p["sku"] == step_sku and qty >= 0 else 0
        error = None if 0 <= qty <= 99 else "Enter a whole number from 0 to 99."
        valid &= error is None
        qty = qty if error is None else 0
        lines.append((p, qty, error))
        items += p["price_cents"] * qty
    shipping = 0 if items >= 4000 or not items else 490
    return {"lines": lines, "items": items, "shipping": shipping, "valid": valid}


def context(request: Request[Any, Any, Any], priced: dict[str, Any]) -> dict[str, Any]:
    body = f"{int(time.time()):x}.{secrets.token_urlsafe(12)}"
    mac = hmac.new(_key, f"{request.state.visitor_id}.{body}".encode(), hashlib.sha256).digest()
    token = f"{body}.{base64.urlsafe_b64encode(mac[:18]).decode()}"
    return {**priced, "csrf": csrf_token({"request": request}), "checkout_token": token}


def request_id() -> dict[str, str]:
    return {"X-Request-ID": secrets.token_hex(8)}  # as the store's, for its logs


async def orders(visitor_id: str) -> list[dict[str, Any]]:
    assert _pool is not None
    found: dict[int, dict[str, Any]] = {}
    for row in await _pool.fetch(ORDERS, visitor_id):
        order = found.get(row[0])
        if order is None:
            order = found[row[0]] = {**dict(list(row.items())[:11]), "lines": []}
        if row[11] is not None:
            order["lines"].append((row[11], row[12], row[13]))
    return list(found.values())


@get("/")
async def shop(request: Request[Any, Any, Any]) -> Response[str]:
    priced = cart(await products(), request.query_params.multi_items())
    page = {**context(request, priced), "orders": await orders(request.state.visitor_id)}
    return Response(_page.render(page), media_type="text/html", headers=request_id())


@post("/cart")
async def update_cart(request: Request[Any, Any, Any]) -> Response[str]:
    priced = cart(await products(), (await request.form()).multi_items())
    html = "".join(_page.blocks["cart"](_page.new_context(context(request, priced))))
    status = 200 if priced["valid"] else 422
    return Response(html, media_type="text/html", status_code=status, headers=request_id())


def create_app() -> Litestar:
    global _key
    settings = load_settings()
    _key = hmac.new(settings.secret_key.encode(), b"checkout-token", hashlib.sha256).digest()
    return Litestar(
        route_handlers=[shop, update_cart],
        csrf_config=CSRFConfig(
            secret=settings.secret_key, cookie_httponly=True, cookie_samesite="lax"
        ),
        middleware=[VisitorMiddleware(settings.secret_key, secure=settings.https)],
        before_send=[security_headers(content_security_policy(checkout_origins(settings)))],
        lifespan=[pool],
        openapi_config=None,
    )
