"""A cart read from form fields: quantities per sku, checked without clamping anything."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from app.catalog.shipping import FREE_FROM_CENTS, ShippingRate, shipping_for

MAX_QUANTITY = 99
LOW_STOCK = 5  # from this many left down, the shop says "Only N left"
FIELD_PREFIX = "qty-"
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True, slots=True)
class ProductView:
    sku: str
    name: str
    description: str
    price_cents: int
    currency: str
    on_hand: int | None = None  # None: made to order
    held: int = 0
    on_sale: bool = True
    price_changed_at: datetime | None = None

    @property
    def left(self) -> int | None:
        """How many a Buy may still hold; None when made to order."""
        return None if self.on_hand is None else max(self.on_hand - self.held, 0)

    @property
    def max_quantity(self) -> int:
        return MAX_QUANTITY if self.left is None else min(self.left, MAX_QUANTITY)

    @property
    def sold_out(self) -> bool:
        return self.left == 0

    @property
    def few_left(self) -> bool:
        return self.left is not None and 0 < self.left <= LOW_STOCK


@dataclass(frozen=True, slots=True)
class CartLine:
    product: ProductView
    quantity: int
    raw: str
    error: str | None = None
    note: str | None = None  # why the quantity was lowered (a Buy that found too few left)

    @property
    def field(self) -> str:
        return FIELD_PREFIX + self.product.sku

    @property
    def subtotal_cents(self) -> int:
        return self.product.price_cents * self.quantity

    @property
    def at_limit(self) -> bool:
        return self.quantity >= self.product.max_quantity


@dataclass(frozen=True, slots=True)
class Cart:
    lines: tuple[CartLine, ...]
    currency: str
    form_errors: tuple[str, ...] = field(default=())

    @property
    def valid(self) -> bool:
        return not self.form_errors and all(line.error is None for line in self.lines)

    @property
    def cacheable(self) -> bool:
        """Its rendered form body may be kept (app/templating.py): never one echoing typing."""
        return self.valid

    @property
    def items_cents(self) -> int:
        return sum(line.subtotal_cents for line in self.lines)

    @property
    def shipping(self) -> ShippingRate:
        return shipping_for(self.items_cents)

    @property
    def free_shipping_from_cents(self) -> int:
        return FREE_FROM_CENTS

    @property
    def shipping_cents(self) -> int:
        return 0 if self.empty else self.shipping.amount_cents

    @property
    def total_cents(self) -> int:
        """What Stripe will charge: the products and their shipping."""
        return self.items_cents + self.shipping_cents

    @property
    def empty(self) -> bool:
        return all(line.quantity == 0 for line in self.lines)

    @property
    def prices_seen(self) -> int:
        """The newest price change among the prices shown, in microseconds (0: none): the form
        carries it so a Buy can tell the prices changed since (PRICES_FIELD)."""
        stamps = [line.product.price_changed_at for line in self.lines]
        newest = max((stamp for stamp in stamps if stamp is not None), default=None)
        return 0 if newest is None else int(newest.timestamp() * 1_000_000)

    @property
    def lowered(self) -> bool:
        return any(line.note for line in self.lines)

    def quantities(self) -> dict[str, int]:
        return {line.product.sku: line.quantity for line in self.lines}


PRICES_FIELD = "prices_seen"


def prices_seen_in(fields: Iterable[tuple[str, str]]) -> datetime | None:
    """When the prices a form showed were set, from its PRICES_FIELD; None if it has none."""
    value = next((value for name, value in fields if name == PRICES_FIELD), "")
    if not value.isascii() or not value.isdigit() or len(value) > 18:
        return None
    return datetime.fromtimestamp(int(value) / 1_000_000, UTC)


def left_message(product: ProductView) -> str:
    return "Sold out." if product.sold_out else f"Only {product.left} left."


def read_cart(
    products: Sequence[ProductView], fields: Iterable[tuple[str, str]], *, lower: bool = False
) -> Cart:
    """Price the quantities in `fields` (form or query pairs) against `products`.

    An emptied or missing quantity is 0; anything else that is not 0..99 in ASCII digits, or more
    than is left, is an error shown beside its field, with what was typed kept. `lower`: more
    than is left becomes what is left instead, with a note (a Buy that came too late).
    Other fields are ignored.
    """
    by_sku = {product.sku: product for product in products}
    raw: dict[str, str] = {}
    errors: dict[str, str] = {}
    form_errors: list[str] = []
    op = ""
    for name, value in fields:
        if name == "op":
            op = value
        if not name.startswith(FIELD_PREFIX):
            continue
        sku = name.removeprefix(FIELD_PREFIX)
        if sku not in by_sku:
            form_errors.append(f"There is no product “{sku[:40]}” in this shop.")
        elif sku in raw:
            errors[sku] = "This quantity was sent twice; send it once."
        else:
            raw[sku] = value

    quantities = {sku: 0 for sku in by_sku}
    for sku, value in raw.items():
        quantity, error = _parse_quantity(value)
        if error and sku not in errors:
            errors[sku] = error
        quantities[sku] = quantity

    if op:
        _apply_step(op, by_sku, quantities, errors, form_errors)
    notes: dict[str, str] = {}
    for sku, product in by_sku.items():
        if sku in errors or quantities[sku] <= product.max_quantity:
            continue
        if not lower:
            errors[sku] = left_message(product)
        elif product.left is not None:
            notes[sku] = left_message(product)
            quantities[sku] = product.left

    currencies = {product.currency for product in products}
    if len(currencies) > 1:
        raise ValueError(f"one cart cannot mix currencies: {sorted(currencies)}")
    lines = tuple(
        CartLine(
            product=product,
            quantity=quantities[product.sku] if product.sku not in errors else 0,
            raw=raw.get(product.sku, "") if product.sku in errors else str(quantities[product.sku]),
            error=errors.get(product.sku),
            note=notes.get(product.sku),
        )
        for product in products
    )
    return Cart(
        lines=lines,
        currency=currencies.pop() if currencies else "usd",
        form_errors=tuple(form_errors),
    )


def _parse_quantity(value: str) -> tuple[int, str | None]:
    text = value.strip()
    if text == "":
        return 0, None
    if text.startswith("-") and _ASCII_DIGITS.fullmatch(text[1:]):
        return 0, "A quantity can't be negative."
    if not _ASCII_DIGITS.fullmatch(text):
        return 0, f"Enter a whole number from 0 to {MAX_QUANTITY}."
    if len(text) > 3 or int(text) > MAX_QUANTITY:
        return 0, f"At most {MAX_QUANTITY} of each product per order."
    return int(text), None


def _apply_step(
    op: str,
    by_sku: dict[str, ProductView],
    quantities: dict[str, int],
    errors: dict[str, str],
    form_errors: list[str],
) -> None:
    """The +/- buttons submit op=inc:<sku> or op=dec:<sku> with the rest of the form."""
    action, _, sku = op.partition(":")
    if action not in {"inc", "dec"} or sku not in by_sku:
        form_errors.append("That button is not part of this shop; reload the page.")
        return
    if sku in errors:
        return
    step = 1 if action == "inc" else -1
    quantity = quantities[sku] + step
    if quantity > by_sku[sku].max_quantity and quantity <= MAX_QUANTITY:
        errors[sku] = left_message(by_sku[sku])
    elif quantity > MAX_QUANTITY:
        errors[sku] = f"At most {MAX_QUANTITY} of each product per order."
    elif quantity < 0:
        errors[sku] = "Already none of this product."
    else:
        quantities[sku] = quantity
