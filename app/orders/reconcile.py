"""reconcile: catch up with Stripe after lost webhooks, closed tabs and crashes; safe to repeat."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from app.db import utcnow
from app.orders.fulfilment import fulfil_checkout, handle_stripe_event
from app.orders.queries import ACTIVE
from app.orders.tables import Order, OrderStatus
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable

logger = logging.getLogger("app.orders")

# Younger orders may still be in a buyer's hands or in flight; older ones are worth asking about.
STALE_AFTER = timedelta(minutes=5)


@dataclass
class ReconcileReport:
    checked: int = 0
    changed: list[str] = field(default_factory=list)
    abandoned: list[int] = field(default_factory=list)
    replayed: int = 0
    unreachable: int = 0

    def lines(self) -> list[str]:
        return [
            f"checked {self.checked} stale order(s) with Stripe",
            *(f"  {change}" for change in self.changed),
            f"marked {len(self.abandoned)} order(s) that never got a session failed"
            + (f": {', '.join(map(str, self.abandoned))}" if self.abandoned else ""),
            f"replayed {self.replayed} undelivered event(s)",
            *([f"could not reach Stripe {self.unreachable} time(s)"] if self.unreachable else []),
        ]


async def reconcile(
    gateway: PaymentGateway, stale_after: timedelta = STALE_AFTER
) -> ReconcileReport:
    report = ReconcileReport()
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

    stale = await Order.select(Order.id, Order.status, Order.stripe_session_id).where(
        Order.status.is_in([s.value for s in ACTIVE])
        & (Order.updated_at < cutoff)
        & Order.stripe_session_id.is_not_null()
    )
    for row in stale:
        report.checked += 1
        try:
            order = await fulfil_checkout(gateway, row["stripe_session_id"])
        except PaymentServiceUnavailable:
            report.unreachable += 1
            continue
        if order is not None and order.status.value != row["status"]:
            report.changed.append(f"order {order.id}: {row['status']} -> {order.status.value}")

    abandoned = (
        await Order.update({Order.status: OrderStatus.FAILED.value, Order.updated_at: utcnow()})
        .where(
            (Order.status == OrderStatus.PENDING.value)
            & Order.stripe_session_id.is_null()
            & (Order.created_at < cutoff)
        )
        .returning(Order.id)
    )
    report.abandoned = [row["id"] for row in abandoned]
    for order_id in report.abandoned:
        logger.info("order %s -> failed (no checkout session was ever stored)", order_id)
    return report
