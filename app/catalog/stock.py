"""Stock: every change one conditional UPDATE a product; the database keeps 0 <= held <= on hand."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from piccolo.columns.combination import WhereRaw

from app.catalog.tables import Product


@dataclass(frozen=True, slots=True)
class Short:
    """A product that had fewer left than asked for."""

    sku: str
    name: str
    left: int


def _enough(quantity: int) -> WhereRaw:
    # Made to order (on_hand NULL) always has enough; otherwise what is not held must cover it.
    return WhereRaw("(on_hand IS NULL OR on_hand - held >= {})", quantity)


async def hold(quantities: Mapping[str, int]) -> list[str]:
    """Hold each product's quantity, in sku order (so two Buys never wait on each other in a
    circle); the skus that had too few left, at the first of which it stops. Call it inside the
    order's atomic() block: a shortfall must roll the earlier holds back with the order."""
    for sku in sorted(sku for sku, n in quantities.items() if n > 0):
        held = (
            await Product.update({Product.held: Product.held + quantities[sku]})
            .where((Product.sku == sku) & (Product.on_sale.eq(True)) & _enough(quantities[sku]))
            .returning(Product.sku)
        )
        if not held:
            return [sku]
    return []


async def release(quantities: Mapping[str, int]) -> None:
    """Give held quantities back (a checkout that ended unpaid)."""
    for sku in sorted(quantities):
        await Product.update({Product.held: Product.held - quantities[sku]}).where(
            Product.sku == sku
        )


async def take_held(quantities: Mapping[str, int]) -> None:
    """A paid hold leaves the shelf: on hand and held both go down (on hand stays NULL if made to
    order)."""
    for sku in sorted(quantities):
        n = quantities[sku]
        await Product.update(
            {Product.held: Product.held - n, Product.on_hand: Product.on_hand - n}
        ).where(Product.sku == sku)


async def take_again(quantities: Mapping[str, int]) -> list[Short]:
    """Take stock for a payment whose hold was already released: all of it or none; what fell
    short otherwise. Inside the arrow's transaction, so the rows it changed stay locked."""
    taken: list[str] = []
    for sku in sorted(quantities):
        n = quantities[sku]
        rows = (
            await Product.update({Product.on_hand: Product.on_hand - n})
            .where((Product.sku == sku) & _enough(n))
            .returning(Product.sku)
        )
        if not rows:
            for done in taken:  # put back what this payment took before falling short
                await Product.update({Product.on_hand: Product.on_hand + quantities[done]}).where(
                    Product.sku == done
                )
            return await shortfall({sku: n})
        taken.append(sku)
    return []


async def put_back(quantities: Mapping[str, int]) -> list[str]:
    """Back on the shelf (a refunded order's items the owner restocks): counted products only;
    "name: on hand before -> after" for each."""
    said = []
    for sku in sorted(quantities):
        n = quantities[sku]
        rows = (
            await Product.update({Product.on_hand: Product.on_hand + n})
            .where((Product.sku == sku) & Product.on_hand.is_not_null())
            .returning(Product.name, Product.on_hand)
        )
        said += [f"{row['name']}: on hand {row['on_hand'] - n} -> {row['on_hand']}" for row in rows]
    return said


async def shortfall(quantities: Mapping[str, int]) -> list[Short]:
    """How many are left of each product named, for the message beside its row."""
    rows = await Product.select(
        Product.sku, Product.name, Product.on_hand, Product.held, Product.on_sale
    ).where(Product.sku.is_in(list(quantities)))
    return [
        Short(row["sku"], row["name"], left_of(row["on_hand"], row["held"], row["on_sale"]))
        for row in rows
    ]


def left_of(on_hand: int | None, held: int, on_sale: bool) -> int:
    if not on_sale:
        return 0
    return 10**9 if on_hand is None else max(on_hand - held, 0)
