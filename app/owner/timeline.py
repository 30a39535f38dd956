"""One order's story for the owner: its status changes, Stripe's events and owner actions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.audit.tables import AuditEntry
from app.audit.trail import Action
from app.orders.queries import STATUS_WORDS, OrderStatus
from app.orders.tables import OrderChange, StripeEvent
from app.owner.tables import BaseUser


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
        AuditEntry.at, AuditEntry.action, AuditEntry.actor, AuditEntry.actor_id, AuditEntry.detail
    ).where(
        (AuditEntry.order_id == order_id)
        # The outcome that follows says it all; the request alone is the audit's own record.
        & (AuditEntry.action != Action.REFUND_REQUESTED.value)
    )
    ids = {row["actor_id"] for row in actions if row["actor_id"] is not None}
    owners = await _owner_names(ids)
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
                who=_who(row["actor"], row["actor_id"], owners),
            )
            for row in actions
        ),
    ]
    return sorted(entries, key=lambda entry: entry.at)


async def _owner_names(ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await BaseUser.select(BaseUser.id, BaseUser.username).where(
        BaseUser.id.is_in(sorted(ids))
    )
    return {row["id"]: row["username"] for row in rows}


def _who(name: str, owner_id: int | None, owners: dict[int, str]) -> str:
    """An owner by id: one removed is said so, even if another owner now has that name."""
    if owner_id is None:
        return name
    return owners.get(owner_id, f"{name} (a removed owner)")
