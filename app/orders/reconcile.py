"""reconcile: catch up with Stripe after lost webhooks, closed tabs and crashes; safe to repeat."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from piccolo.query import OrderByRaw

from app.db import utcnow
from app.orders.confirmation import adopt_session, confirm_checkout, handle_stripe_event
from app.orders.lifecycle import ACTIVE, take
from app.orders.tables import Order, OrderStatus, ReconcileRun
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable

logger = logging.getLogger("app.orders")

# Younger orders may still be in a buyer's hands or in flight; older ones are worth asking about.
STALE_AFTER = timedelta(minutes=5)
# Stripe sessions live at most a day: an older one can no longer be paid or be worth adopting.
STRIPE_SESSION_MAX_AGE = timedelta(hours=24)
# Stripe reads about 25 requests/s per endpoint: a run keeps to a few seconds of them, and
# what is left waits for the next run, least recently asked first.
MAX_CHECKS = 100


@dataclass
class ReconcileReport:
    checked: int = 0
    left_for_later: int = 0
    max_checks: int = MAX_CHECKS
    changed: list[str] = field(default_factory=list)
    adopted: list[int] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    replayed: int = 0
    unreachable: int = 0

    @property
    def changes(self) -> int:
        return len(self.changed) + len(self.adopted) + len(self.abandoned) + self.replayed

    def lines(self) -> list[str]:
        return [
            f"checked {self.checked} stale order(s) with Stripe",
            *(
                [
                    f"left {self.left_for_later} stale order(s) for the next run: at most "
                    f"{self.max_checks} are asked about per run"
                ]
                if self.left_for_later
                else []
            ),
            *(f"  {change}" for change in self.changed),
            f"found the lost session of {len(self.adopted)} order(s)"
            + (f": {', '.join(map(str, self.adopted))}" if self.adopted else ""),
            f"marked {len(self.abandoned)} order(s) that never got a session failed"
            + (f": {', '.join(map(str, self.abandoned))}" if self.abandoned else ""),
            f"replayed {self.replayed} undelivered event(s)",
            *([f"could not reach Stripe {self.unreachable} time(s)"] if self.unreachable else []),
        ]


async def reconcile(
    gateway: PaymentGateway, stale_after: timedelta = STALE_AFTER, max_checks: int = MAX_CHECKS
) -> ReconcileReport:
    """`stale_after`: how long an order must have been left alone, by its buyer and by earlier
    runs asking Stripe about it, before this run asks (at most `max_checks` of them)."""
    report = await _catch_up(gateway, stale_after, max_checks)
    # Kept for the owner's dashboard: when the last run was and what it changed.
    await ReconcileRun.insert(
        ReconcileRun(ran_at=utcnow(), changes=report.changes, report="\n".join(report.lines()))
    )
    return report


async def _catch_up(
    gateway: PaymentGateway, stale_after: timedelta, max_checks: int
) -> ReconcileReport:
    report = ReconcileReport(max_checks=max_checks)
    cutoff = utcnow() - stale_after

    # Events first: one may carry the session id a crash kept us from storing.
    try:
        events = await gateway.undelivered_events()
    except PaymentServiceUnavailable:
        events, report.unreachable = [], report.unreachable + 1
    for event in events:
        try:
            if await handle_stripe_event(gateway, event) == "applied":
                report.replayed += 1
        except PaymentServiceUnavailable:
            report.unreachable += 1

    # A crash between Stripe creating a session and the store saving its id leaves a payable
    # session behind: give it back to its order before calling that order abandoned.
    try:
        report.adopted = await _adopt_lost_sessions(gateway, cutoff)
        may_abandon = True
    except PaymentServiceUnavailable:
        report.unreachable, may_abandon = report.unreachable + 1, False

    stale, report.left_for_later = await _claim_stale(cutoff, max_checks)
    for row in stale:
        report.checked += 1
        try:
            order = await confirm_checkout(gateway, row["stripe_session_id"])
        except PaymentServiceUnavailable:
            report.unreachable += 1
            continue
        if order is not None and order.status.value != row["status"]:
            report.changed.append(f"order {order.id}: {row['status']} -> {order.status.value}")

    if not may_abandon:
        return report
    orphans = await Order.select(Order.id).where(_never_got_a_session(cutoff))
    abandoned = await take("give_up", [row["id"] for row in orphans])
    report.abandoned = sorted(row["id"] for row in abandoned)
    for order_id in report.abandoned:
        logger.info("order %s -> failed (no checkout session was ever stored)", order_id)
    return report


async def _claim_stale(cutoff: datetime, limit: int) -> tuple[list[dict[str, Any]], int]:
    """The next batch to ask Stripe about, stamped as asked; and how many wait after it."""
    waiting = await Order.count().where(_stale(cutoff))
    batch = (
        await Order.select(Order.id)
        .where(_stale(cutoff))
        .order_by(OrderByRaw("COALESCE(checked_at, updated_at), id"))
        .limit(limit)
    )
    if not batch:
        return [], waiting
    # Conditional, so runs at the same time split the work instead of asking twice.
    oldest_first = {row["id"]: n for n, row in enumerate(batch)}
    claimed = (
        await Order.update({Order.checked_at: utcnow()})
        .where(Order.id.is_in(list(oldest_first)) & _stale(cutoff))
        .returning(Order.id, Order.status, Order.stripe_session_id)
    )
    claimed.sort(key=lambda row: oldest_first[row["id"]])
    return claimed, max(0, waiting - len(batch))


def _stale(cutoff: datetime) -> Any:
    """Open orders with a session that nobody touched, and no run asked about, since `cutoff`."""
    return (
        Order.status.is_in([s.value for s in ACTIVE])
        & (Order.updated_at < cutoff)
        & Order.stripe_session_id.is_not_null()
        & (Order.checked_at.is_null() | (Order.checked_at < cutoff))
    )


async def _adopt_lost_sessions(gateway: PaymentGateway, cutoff: datetime) -> list[int]:
    orphans = await Order.select(Order.id, Order.created_at).where(_never_got_a_session(cutoff))
    if not orphans:
        return []
    wanted = {str(row["id"]) for row in orphans}
    oldest = min(row["created_at"] for row in orphans)
    # Stripe stamps whole seconds: a minute of slack covers its clock against ours.
    since = max(oldest, utcnow() - STRIPE_SESSION_MAX_AGE) - timedelta(minutes=1)
    adopted = []
    for session in await gateway.sessions_created_since(int(since.timestamp())):
        if session.metadata.get("order_id") not in wanted:
            continue
        if (order := await adopt_session(session)) is not None:
            logger.info("order %s: found its lost session %s", order.id, session.id)
            adopted.append(order.id)
    return adopted


def _never_got_a_session(cutoff: datetime) -> Any:
    """Pending orders older than `cutoff` that have no Checkout Session stored."""
    return (
        (Order.status == OrderStatus.PENDING.value)
        & Order.stripe_session_id.is_null()
        & (Order.created_at < cutoff)
    )
