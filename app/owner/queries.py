"""What the owner reads: counts per status, pages of orders, an order's timeline, reconcile runs."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from app.orders.lifecycle import ARROW, sql_status_in
from app.orders.mailing import order_emails
from app.orders.queries import STATUS_WORDS, Fulfilment, OrderStatus, OrderView, order_by_id
from app.orders.tables import Order, ReconcileRun
from app.owner.figures import Figure, sales_figures
from app.owner.products.service import ProductRow, low_stock
from app.owner.search import search_where
from app.owner.timeline import TimelineEntry, timeline

PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    created_at: datetime
    status: OrderStatus
    currency: str
    total_cents: int
    refunded_cents: int
    buyer_email: str | None
    fulfilment: Fulfilment

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def shipped(self) -> bool:
        return self.fulfilment is Fulfilment.SHIPPED


@dataclass(frozen=True, slots=True)
class OrderPage:
    rows: list[OrderRow]
    next_before: int | None  # the keyset cursor of the next page, None on the last one


@dataclass(frozen=True, slots=True)
class LastReconcile:
    ran_at: datetime
    changes: int
    report: list[str]


async def status_counts() -> dict[OrderStatus, int]:
    rows = await Order.raw("SELECT status, COUNT(*) AS n FROM shop_order GROUP BY status")
    counts = dict.fromkeys(OrderStatus, 0)
    counts.update({OrderStatus(row["status"]): row["n"] for row in rows})
    return counts


async def order_page(
    status: OrderStatus | None = None,
    q: str = "",
    before: int | None = None,
    limit: int = PAGE_SIZE,
) -> OrderPage:
    """Newest first, `limit` a page, continued below `before`: one indexed query at any depth."""
    where: list[Combinable] = []
    if status is not None:
        # A literal, not a parameter (the value is one of OrderStatus, never the request's text):
        # asyncpg prepares statements, and PostgreSQL's generic plan for "status = $1" walks the
        # primary key past every other order to find a rare status. Per value it picks the index.
        where.append(WhereRaw(f"status = '{status.value}'"))
    if q.strip():
        search = search_where(q)
        if search is None:
            return OrderPage([], None)
        where.append(search)
    if before is not None:
        where.append(Order.id < before)
    query = Order.select(*_ROW_COLUMNS)
    rows = await query.where(*where).order_by(Order.id, ascending=False).limit(limit + 1)
    page = [_row(row) for row in rows[:limit]]
    return OrderPage(page, page[-1].id if len(rows) > limit else None)


_ROW_COLUMNS = (
    Order.id,
    Order.created_at,
    Order.status,
    Order.currency,
    Order.total_cents,
    Order.refunded_cents,
    Order.buyer_email,
    Order.fulfilment,
)


def _row(row: dict[str, Any]) -> OrderRow:
    return OrderRow(
        **{**row, "status": OrderStatus(row["status"]), "fulfilment": Fulfilment(row["fulfilment"])}
    )


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: dict[OrderStatus, int]
    review: OrderPage
    to_ship: OrderPage
    latest: OrderPage
    reconcile: LastReconcile | None
    figures: list[Figure]
    low_stock: list[ProductRow]  # counted products with a few left or none
    review_status: OrderStatus = OrderStatus.NEEDS_REVIEW  # what the review queue lists


async def dashboard() -> Dashboard:
    """Counts per status (one query), the review queue first, the latest orders, the last run,
    the sales figures (one query)."""
    return Dashboard(
        counts=await status_counts(),
        review=await order_page(OrderStatus.NEEDS_REVIEW),
        to_ship=await to_ship(),
        latest=await order_page(limit=10),
        reconcile=await last_reconcile(),
        figures=await sales_figures(),
        low_stock=await low_stock(),
    )


# The partial index shop_order_to_ship's own predicate (migration 0009), written as literals: a
# generic plan of "fulfilment = $1 AND status IN ($2, $3)" cannot prove it, so PostgreSQL would
# walk the primary key past every order ever shipped (26 ms per 100,000 of them) to find a few.
# The ship arrow's own sources (app/orders/lifecycle.py), so the queue is what can be shipped.
_TO_SHIP = (
    f"fulfilment = '{Fulfilment.UNFULFILLED.value}' AND {sql_status_in(ARROW['ship'].sources)}"
)


async def to_ship(limit: int = PAGE_SIZE) -> OrderPage:
    """Paid and not yet sent, oldest first (the partial index shop_order_to_ship holds them)."""
    query = Order.select(*_ROW_COLUMNS).where(WhereRaw(_TO_SHIP))
    rows = await query.order_by(Order.id).limit(limit + 1)
    page = [_row(row) for row in rows[:limit]]
    return OrderPage(page, None)


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderView
    timeline: list[TimelineEntry]
    mail: list[dict[str, Any]] = field(default_factory=list)  # its emails, oldest first


async def order_detail(order_id: int) -> OrderDetail | None:
    order = await order_by_id(order_id)
    if order is None:
        return None
    return OrderDetail(
        order, await timeline(order.id, order.created_at), await order_emails(order.id)
    )


async def last_reconcile() -> LastReconcile | None:
    row = await (
        ReconcileRun.select(ReconcileRun.ran_at, ReconcileRun.changes, ReconcileRun.report)
        .order_by(ReconcileRun.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return LastReconcile(row["ran_at"], row["changes"], row["report"].splitlines())
