"""Catalogue services: the three products, seeded once, and the cart priced from the database."""

from __future__ import annotations

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
    return [row["sku"] for row in rows]


async def list_products() -> list[ProductView]:
    rows = await Product.select(
        Product.sku, Product.name, Product.description, Product.price_cents, Product.currency
    ).order_by(Product._meta.primary_key)
    return [ProductView(**row) for row in rows]


async def price_cart(fields: Iterable[tuple[str, str]]) -> Cart:
    return read_cart(await list_products(), fields)
