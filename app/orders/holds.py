"""The stock effect of the arrows: an ended checkout releases its hold, a payment takes it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from piccolo.query.functions.aggregate import Sum

from app.catalog.stock import put_back, release, take_again, take_held
from app.orders.tables import Order, OrderLine, StockState

# Arrows that end a checkout unpaid give its stock back; the ones a payment takes take it.
RELEASING = frozenset({"give_up", "fail", "expire", "cancel"})
PAYING = frozenset({"pay", "flag"})


async def settle_stock(arrow: str, order_ids: Sequence[int]) -> None:
    """Run in the arrow's transaction. Each order's stock state moves once, by a conditional
    UPDATE, so an effect run twice (a replay, a race lost) never releases or takes twice."""
    held, taken, released = StockState.HELD, StockState.TAKEN, StockState.RELEASED
    if arrow in RELEASING:
        await release(await _quantities(await _move(order_ids, held, released)))
    elif arrow in PAYING:
        await take_held(await _quantities(await _move(order_ids, held, taken)))
        # Paid after its hold was released (expired, canceled): take it again if there is some.
        for order_id in await _move(order_ids, released, taken):
            short = await take_again(await _quantities([order_id]))
            if short:
                words = ", ".join(f"{s.left} of {s.name} left" for s in short)
                await Order.update(
                    {
                        Order.stock: StockState.SHORT.value,
                        Order.review_reason: Order.review_reason + f" Oversold: {words}.",
                    }
                ).where(Order.id == order_id)


async def restock_order(order_id: int) -> list[str]:
    """Put a (refunded) order's taken items back, once: what changed, in words."""
    moved = await _move([order_id], StockState.TAKEN, StockState.RESTOCKED)
    return await put_back(await _quantities(moved))


async def _move(order_ids: Sequence[int], was: StockState, now: StockState) -> list[int]:
    if not order_ids:
        return []
    rows = (
        await Order.update({Order.stock: now.value})
        .where(Order.id.is_in(list(order_ids)) & (Order.stock == was.value))
        .returning(Order.id)
    )
    return [row["id"] for row in rows]


async def _quantities(order_ids: Sequence[int]) -> dict[str, int]:
    """Each product's quantity across these orders' lines."""
    if not order_ids:
        return {}
    rows = (
        await OrderLine.select(OrderLine.sku, Sum(OrderLine.quantity, alias="n"))
        .where(OrderLine.order.is_in(list(order_ids)))
        .group_by(OrderLine.sku)
    )
    totals: dict[str, int] = defaultdict(int)
    for row in rows:
        totals[row["sku"]] += int(row["n"])
    return dict(totals)
