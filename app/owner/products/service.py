"""Products as the owner edits them: each change one conditional UPDATE, audited before/after."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from app.audit.trail import Action, record
from app.catalog.service import forget_displayed_products
from app.catalog.tables import Product
from app.db import atomic, utcnow
from app.money import InvalidAmount, format_amount, format_money, parse_money
from app.owner.sessions import Owner

MAX_STOCK = 1_000_000
MAX_PRICE_CENTS = 1_000_000_00
LOW_STOCK = 5  # the dashboard lists products with this many left or fewer
_FIELDS = ("price", "on_hand", "add")


@dataclass(frozen=True, slots=True)
class ProductRow:
    sku: str
    name: str
    price_cents: int
    currency: str
    on_hand: int | None
    held: int
    on_sale: bool

    @property
    def left(self) -> int | None:
        return None if self.on_hand is None else max(self.on_hand - self.held, 0)

    @property
    def price_typed(self) -> str:
        return format_amount(self.price_cents, self.currency)


# Not frozen: it passes through atomic()'s context manager, which sets its __traceback__.
@dataclass
class ProductRefused(Exception):
    """A change that did not go through: the status, the field it is about, what to say."""

    status: int
    sku: str
    field: str
    message: str
    typed: Mapping[str, str] = dataclasses.field(default_factory=dict)


async def product_rows() -> list[ProductRow]:
    rows = await Product.select(
        Product.sku,
        Product.name,
        Product.price_cents,
        Product.currency,
        Product.on_hand,
        Product.held,
        Product.on_sale,
    ).order_by(Product._meta.primary_key)
    return [ProductRow(**row) for row in rows]


async def low_stock() -> list[ProductRow]:
    return [row for row in await product_rows() if row.left is not None and row.left <= LOW_STOCK]


def _count(text: str, sku: str, field: str, typed: Mapping[str, str]) -> int | None:
    """A count as typed: ASCII digits up to MAX_STOCK; empty is None."""
    text = text.strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit():
        message = "Enter a whole number of items, like 12 (digits only)."
        raise ProductRefused(422, sku, field, message, typed)
    if len(text) > 7 or int(text) > MAX_STOCK:
        raise ProductRefused(422, sku, field, f"At most {MAX_STOCK:,} items.", typed)
    return int(text)


async def update_product(owner: Owner, sku: str, form: Mapping[str, str]) -> str:
    """Apply the product form of `sku`; what changed, in words. Refused: nothing changed."""
    typed = {name: form.get(name, "") for name in _FIELDS}
    row = next((r for r in await product_rows() if r.sku == sku), None)
    if row is None:
        raise ProductRefused(404, sku, "price", "There is no such product.", typed)
    try:
        price = parse_money(typed["price"], row.currency)
    except InvalidAmount as exc:
        raise ProductRefused(422, sku, "price", str(exc), typed) from None
    if price <= 0 or price > MAX_PRICE_CENTS:
        limit = format_money(MAX_PRICE_CENTS, row.currency)
        raise ProductRefused(422, sku, "price", f"A price is above 0 and at most {limit}.", typed)
    on_hand = _count(typed["on_hand"], sku, "on_hand", typed)
    add = _count(typed["add"], sku, "add", typed)
    was = _was(form.get("on_hand_was", ""))
    on_sale = form.get("on_sale") == "on"
    said: list[str] = []
    async with atomic():
        said += await _price(owner, row, price, form.get("price_was", ""), typed)
        if add:
            said += await _restock(owner, row, add, typed)
        elif on_hand != was:
            said += await _correct(owner, row, was, on_hand, typed)
        if on_sale != row.on_sale:
            await Product.update({Product.on_sale: on_sale}).where(Product.sku == sku)
            words = f"{row.name}: {'on sale' if on_sale else 'not on sale'}"
            await record(Action.SALE_CHANGED, actor=owner.who, detail=words)
            said.append(words)
    forget_displayed_products()
    return "; ".join(said) or "Nothing changed."


def _was(text: str) -> int | str | None:
    """The on-hand figure the form showed: a count, None (made to order), or "?" if unreadable."""
    if text == "":
        return None
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 7 else "?"


async def _price(
    owner: Owner, row: ProductRow, price: int, price_was: str, typed: Mapping[str, str]
) -> list[str]:
    if price == row.price_cents and price_was == str(price):
        return []
    changed = (
        await Product.update({Product.price_cents: price, Product.price_changed_at: utcnow()})
        .where((Product.sku == row.sku) & (Product.price_cents == _int(price_was)))
        .returning(Product.price_cents)
    )
    if not changed:
        now = format_money(row.price_cents, row.currency)
        message = f"The price changed meanwhile: it is {now} now. Check it and save again."
        raise ProductRefused(409, row.sku, "price", message, typed)
    if price == _int(price_was):
        return []
    before, after = (format_money(c, row.currency) for c in (_int(price_was), price))
    words = f"{row.name}: price {before} -> {after}"
    await record(Action.PRICE_CHANGED, actor=owner.who, detail=words)
    return [words]


async def _restock(owner: Owner, row: ProductRow, add: int, typed: Mapping[str, str]) -> list[str]:
    rows = (
        await Product.update({Product.on_hand: Product.on_hand + add})
        .where((Product.sku == row.sku) & Product.on_hand.is_not_null())
        .returning(Product.on_hand)
    )
    if not rows:
        message = "Made to order: set a count on hand first, then restock by adding."
        raise ProductRefused(409, row.sku, "add", message, typed)
    after = rows[0]["on_hand"]
    if after > MAX_STOCK:
        raise ProductRefused(422, row.sku, "add", f"At most {MAX_STOCK:,} items.", typed)
    words = f"{row.name}: restocked +{add}, on hand {after - add} -> {after}"
    await record(Action.RESTOCKED, actor=owner.who, detail=words)
    return [words]


async def _correct(
    owner: Owner,
    row: ProductRow,
    was: int | str | None,
    on_hand: int | None,
    typed: Mapping[str, str],
) -> list[str]:
    if isinstance(was, str):  # not a figure this page showed: nothing to correct from
        raise ProductRefused(409, row.sku, "on_hand", "Reload the page and set it again.", typed)
    # Only from the figure the owner saw, and never below what open checkouts hold.
    shown: Any = Product.on_hand.is_null() if was is None else Product.on_hand == was
    enough: Any = Product.held <= on_hand if on_hand is not None else Product.held >= 0
    rows = (
        await Product.update({Product.on_hand: on_hand})
        .where((Product.sku == row.sku) & shown & enough)
        .returning(Product.held)
    )
    if not rows:
        now = "made to order" if row.on_hand is None else f"{row.on_hand} on hand"
        message = (
            f"Open checkouts hold {row.held}: set at least that many."
            if on_hand is not None and row.held > on_hand and row.on_hand == was
            else f"Stock changed meanwhile: {now}, {row.held} held. Check it and set it again."
        )
        raise ProductRefused(409, row.sku, "on_hand", message, typed)
    before = "made to order" if was is None else str(was)
    after = "made to order" if on_hand is None else str(on_hand)
    words = f"{row.name}: on hand {before} -> {after}"
    await record(Action.STOCK_CORRECTED, actor=owner.who, detail=words)
    return [words]


def _int(text: str) -> int:
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else -1
