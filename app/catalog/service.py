"""Catalogue services: the three products, seeded once, and the cart priced from the database."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime

from app.catalog.cart import Cart, ProductView, read_cart
from app.catalog.tables import Product

# The shop's fixed range. Seeding inserts what is missing by sku and never overwrites a price
# edited in the database.
CATALOG: tuple[ProductView, ...] = (
    ProductView(
        sku="beans-250",
        name="House blend beans, 250 g",
        description="Medium roast from Huila and Sidama, roasted every Monday.",
        price_cents=1450,
        currency="usd",
    ),
    ProductView(
        sku="mug-350",
        name="Stoneware mug",
        description="Hand-glazed, 350 ml, dishwasher safe.",
        price_cents=1800,
        currency="usd",
    ),
    ProductView(
        sku="dripper-v60",
        name="Pour-over dripper",
        description="Ceramic cone dripper with 40 paper filters.",
        price_cents=2999,
        currency="usd",
    ),
)


async def seed_products() -> list[str]:
    """Create the catalogue's missing products; returns the skus it created."""
    rows = (
        await Product.insert(*(Product(**asdict(view)) for view in CATALOG))
        .on_conflict(target=Product.sku, action="DO NOTHING")
        .returning(Product.sku)
    )
    forget_displayed_products()
    return [row["sku"] for row in rows]


async def list_products() -> list[ProductView]:
    """The products on sale, with their stock."""
    rows = (
        await Product.select(
            Product.sku,
            Product.name,
            Product.description,
            Product.price_cents,
            Product.currency,
            Product.on_hand,
            Product.held,
            Product.on_sale,
            Product.price_changed_at,
        )
        .where(Product.on_sale.eq(True))
        .order_by(Product._meta.primary_key)
    )
    return [ProductView(**row) for row in rows]


async def prices_changed_since(skus: Iterable[str], since: datetime) -> bool:
    """Whether any of these products' prices changed after `since` (a form rendered before)."""
    return bool(
        await Product.exists().where(
            Product.sku.is_in(list(skus) or [""]) & (Product.price_changed_at > since)
        )
    )


# The cart display may lag a price or stock edit by this long. A placed order reads its prices
# inside its own transaction (app/orders/service.py) and refuses a form rendered before the last
# price change (by this much more, as its display may have been this old), so Stripe never
# charges a price the buyer did not see.
DISPLAY_TTL_SECONDS = 2.0
_displayed: tuple[float, tuple[ProductView, ...]] | None = None
_clock = time.monotonic  # a module attribute so a test can move it


async def displayed_products() -> tuple[ProductView, ...]:
    """The products for showing a cart: at most one query per process per DISPLAY_TTL_SECONDS."""
    global _displayed
    now = _clock()
    if _displayed is None or now - _displayed[0] >= DISPLAY_TTL_SECONDS:
        _displayed = (now, tuple(await list_products()))
    return _displayed[1]


def forget_displayed_products() -> None:
    global _displayed
    _displayed = None


async def price_cart(fields: Iterable[tuple[str, str]], *, fresh: bool = False) -> Cart:
    """For display only: orders price their lines in their own transaction, never from here.
    `fresh`: read the products now (a cart sent back because prices or stock changed)."""
    products = await list_products() if fresh else await displayed_products()
    return read_cart(products, fields, lower=fresh)
