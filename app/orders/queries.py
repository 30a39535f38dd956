"""Read models of orders: a visitor's list, one order, and the order behind a Stripe session."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime

from app.orders.tables import Order, OrderLine, OrderStatus

__all__ = ["ACTIVE", "LineView", "OrderStatus", "OrderView"]

ACTIVE = (OrderStatus.PENDING, OrderStatus.PROCESSING)
STATUS_WORDS = {
    OrderStatus.PENDING: "Awaiting payment",
    OrderStatus.PROCESSING: "Payment processing",
    OrderStatus.PAID: "Paid",
    OrderStatus.FAILED: "Payment failed",
    OrderStatus.CANCELED: "Canceled",
    OrderStatus.EXPIRED: "Expired",
    OrderStatus.REFUNDED: "Refunded",
    OrderStatus.PARTIALLY_REFUNDED: "Partially refunded",
    OrderStatus.NEEDS_REVIEW: "Under review",
}


@dataclass(frozen=True, slots=True)
class LineView:
    sku: str
    name: str
    unit_price_cents: int
    quantity: int

    @property
    def subtotal_cents(self) -> int:
        return self.unit_price_cents * self.quantity


@dataclass(frozen=True, slots=True)
class OrderView:
    id: int
    visitor_id: str
    status: OrderStatus
    currency: str
    total_cents: int
    refunded_cents: int
    created_at: datetime
    stripe_session_id: str | None
    stripe_session_url: str | None
    lines: tuple[LineView, ...]

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


_ORDER_COLUMNS = (
    Order.id,
    Order.visitor_id,
    Order.status,
    Order.currency,
    Order.total_cents,
    Order.refunded_cents,
    Order.created_at,
    Order.stripe_session_id,
    Order.stripe_session_url,
)


async def visitor_orders(visitor_id: str, limit: int = 20) -> list[OrderView]:
    """Newest first, in two queries whatever the number of orders."""
    rows = await (
        Order.select(*_ORDER_COLUMNS)
        .where(Order.visitor_id == visitor_id)
        .order_by(Order.created_at, Order.id, ascending=False)
        .limit(limit)
    )
    return await _with_lines(rows)


async def order_for_session(session_id: str) -> OrderView | None:
    rows = await Order.select(*_ORDER_COLUMNS).where(Order.stripe_session_id == session_id)
    views = await _with_lines(rows)
    return views[0] if views else None


async def order_by_id(order_id: int) -> OrderView | None:
    views = await _with_lines(await Order.select(*_ORDER_COLUMNS).where(Order.id == order_id))
    return views[0] if views else None


async def _with_lines(rows: list[dict[str, object]]) -> list[OrderView]:
    if not rows:
        return []
    lines: defaultdict[int, list[LineView]] = defaultdict(list)
    line_rows = await (
        OrderLine.select(
            OrderLine.order,
            OrderLine.sku,
            OrderLine.name,
            OrderLine.unit_price_cents,
            OrderLine.quantity,
        )
        .where(OrderLine.order.is_in([row["id"] for row in rows]))
        .order_by(OrderLine.id)
    )
    for line in line_rows:
        order_id = line.pop("order")
        lines[order_id].append(LineView(**line))
    return [
        OrderView(
            **{**row, "status": OrderStatus(row["status"])},  # type: ignore[arg-type]
            lines=tuple(lines[row["id"]]),  # type: ignore[index]
        )
        for row in rows
    ]
