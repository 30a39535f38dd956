"""Catalogue services: the three products, seeded once, and the cart priced from the database."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict

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
    rows = await Product.select(
        Product.sku, Product.name, Product.description, Product.price_cents, Product.currency
    ).order_by(Product._meta.primary_key)
    return [ProductView(**row) for row in rows]


# The cart display may lag a price edit by this long. A placed order reads its prices inside its
# own transaction (app/orders/service.py), so what Stripe charges is always the current price.
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


async def price_cart(fields: Iterable[tuple[str, str]]) -> Cart:
    """For display only: orders price their lines in their own transaction, never from here."""
    return read_cart(await displayed_products(), fields)
