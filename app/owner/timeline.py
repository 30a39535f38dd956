"""One order's story for the owner: its status changes, Stripe's events and owner actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.audit.tables import AuditEntry
from app.orders.queries import STATUS_WORDS, OrderStatus
from app.orders.tables import OrderChange, StripeEvent


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    at: datetime
    kind: str  # "status", "stripe" or "owner"
    text: str
    who: str = ""
    reference: str = ""  # a Stripe event id, linked to Stripe's dashboard when there is one


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
