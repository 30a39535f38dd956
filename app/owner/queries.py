"""What the owner reads: counts per status, pages of orders, an order's timeline, reconcile runs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from app.orders.queries import STATUS_WORDS, OrderStatus, OrderView, order_by_id
from app.orders.tables import Order, OrderChange, ReconcileRun, StripeEvent
from app.owner.tables import AuditEntry

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

    @property
    def status_words(self) -> str:
        return STATUS_WORDS[self.status]


@dataclass(frozen=True, slots=True)
class OrderPage:
    rows: list[OrderRow]
    next_before: int | None  # the keyset cursor of the next page, None on the last one


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str  # "status", "stripe" or "owner"
    text: str
    who: str = ""
    reference: str = ""  # a Stripe event id, linked to Stripe's dashboard when there is one


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


def search_where(q: str) -> Combinable | None:
    """Which column a search names, told by its shape; None when it names none."""
    q = q.strip().removeprefix("#")
    if q.isascii() and q.isdigit() and len(q) <= 18:
        return Order.id == int(q)
    if q.startswith("cs_"):
        return Order.stripe_session_id == q
    if q.startswith("pi_"):
        return Order.payment_intent_id == q
    if "@" in q:
        # Matches the index shop_order_buyer_email_lower (migration 0007): any case finds it.
        return WhereRaw("lower(buyer_email) = {}", q.lower())
    return None


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
    query = Order.select(
        Order.id,
        Order.created_at,
        Order.status,
        Order.currency,
        Order.total_cents,
        Order.refunded_cents,
        Order.buyer_email,
    )
    rows = await query.where(*where).order_by(Order.id, ascending=False).limit(limit + 1)
    page = [_row(row) for row in rows[:limit]]
    return OrderPage(page, page[-1].id if len(rows) > limit else None)


def _row(row: dict[str, Any]) -> OrderRow:
    return OrderRow(**{**row, "status": OrderStatus(row["status"])})


async def timeline(order_id: int, placed_at: datetime) -> list[TimelineEntry]:
    """Status changes, the Stripe events that moved the order and owner actions, oldest first."""
    changes = await OrderChange.select(
        OrderChange.changed_at, OrderChange.from_status, OrderChange.to_status
    ).where(OrderChange.order == order_id)
    events = await StripeEvent.select(
        StripeEvent.received_at, StripeEvent.type, StripeEvent.event_id
    ).where(StripeEvent.order_id == order_id)
    actions = await AuditEntry.select(
        AuditEntry.at, AuditEntry.action, AuditEntry.actor, AuditEntry.detail
    ).where(AuditEntry.order_id == order_id)
    entries = [
        TimelineEntry(placed_at, "status", "Order placed: awaiting payment"),
        *(
            TimelineEntry(
                row["changed_at"],
                "status",
                f"{STATUS_WORDS[OrderStatus(row['from_status'])]} → "
                f"{STATUS_WORDS[OrderStatus(row['to_status'])]}",
            )
            for row in changes
        ),
        *(
            TimelineEntry(row["received_at"], "stripe", row["type"], reference=row["event_id"])
            for row in events
        ),
        *(
            TimelineEntry(
                row["at"],
                "owner",
                row["action"].replace("_", " ").capitalize()
                + (f": {row['detail']}" if row["detail"] else ""),
                who=row["actor"],
            )
            for row in actions
        ),
    ]
    return sorted(entries, key=lambda entry: entry.at)


@dataclass(frozen=True, slots=True)
class Dashboard:
    counts: dict[OrderStatus, int]
    review: OrderPage
    latest: OrderPage
    reconcile: LastReconcile | None


async def dashboard() -> Dashboard:
    """Counts per status (one query), the review queue first, the latest orders, the last run."""
    return Dashboard(
        counts=await status_counts(),
        review=await order_page(OrderStatus.NEEDS_REVIEW),
        latest=await order_page(limit=10),
        reconcile=await last_reconcile(),
    )


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderView
    timeline: list[TimelineEntry]


async def order_detail(order_id: int) -> OrderDetail | None:
    order = await order_by_id(order_id)
    if order is None:
        return None
    return OrderDetail(order, await timeline(order.id, order.created_at))


async def last_reconcile() -> LastReconcile | None:
    row = await (
        ReconcileRun.select(ReconcileRun.ran_at, ReconcileRun.changes, ReconcileRun.report)
        .order_by(ReconcileRun.id, ascending=False)
        .first()
    )
    if row is None:
        return None
    return LastReconcile(row["ran_at"], row["changes"], row["report"].splitlines())
