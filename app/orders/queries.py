"""Read models of orders: a visitor's list, one order, and the order behind a Stripe session."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

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
    """Newest first, in one query whatever the number of orders: it runs on every page view."""
    return orders_from_rows(await Order.raw(VISITOR_ORDERS, visitor_id, limit))


# Hand-written because building a Piccolo query costs about 0.3 ms here (STACK_NOTES): one join
# instead of two queries. Placeholders are Piccolo's {}; both engines run it as is.
VISITOR_ORDERS = """
    SELECT o.id, o.visitor_id, o.status, o.currency, o.total_cents, o.refunded_cents,
           o.created_at, o.stripe_session_id, o.stripe_session_url,
           l.sku, l.name, l.unit_price_cents, l.quantity
      FROM (SELECT * FROM shop_order WHERE visitor_id = {}
             ORDER BY created_at DESC, id DESC LIMIT {}) AS o
      LEFT JOIN shop_order_line AS l ON l."order" = o.id
     ORDER BY o.created_at DESC, o.id DESC, l.id
"""


def orders_from_rows(rows: Iterable[Mapping[str, Any]]) -> list[OrderView]:
    """Group VISITOR_ORDERS rows (one per line; a line-less order has NULL line columns)."""
    orders: dict[int, dict[str, Any]] = {}
    for row in rows:
        order = orders.get(row["id"])
        if order is None:
            order = orders[row["id"]] = {name: row[name] for name in _ORDER_FIELDS}
            order["status"], order["lines"] = OrderStatus(row["status"]), []
        if row["sku"] is not None:
            order["lines"].append(LineView(*(row[name] for name in _LINE_FIELDS)))
    return [OrderView(**{**order, "lines": tuple(order["lines"])}) for order in orders.values()]


_ORDER_FIELDS = [column._meta.name for column in _ORDER_COLUMNS]
_LINE_FIELDS = ("sku", "name", "unit_price_cents", "quantity")


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
