"""The audit trail: one row per sign-in, failure, sign-out, account change and owner action."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from app.audit.tables import AuditEntry


class Action(StrEnum):
    SIGNED_IN = "signed_in"
    SIGN_IN_FAILED = "sign_in_failed"
    SIGN_IN_THROTTLED = "sign_in_throttled"
    SIGNED_OUT = "signed_out"
    OWNER_ADDED = "owner_added"
    OWNER_REMOVED = "owner_removed"
    OWNER_UNLOCKED = "owner_unlocked"
    PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a secret)
    REFUNDED = "refunded"
    REFUND_REFUSED = "refund_refused"
    ACCEPTED = "accepted"
    SHIPPED = "shipped"
    PRICE_CHANGED = "price_changed"
    RESTOCKED = "restocked"
    STOCK_CORRECTED = "stock_corrected"
    SALE_CHANGED = "sale_changed"
    EXPORTED = "exported"
    LINK_REVOKED = "link_revoked"
    MAIL_RESENT = "mail_resent"
    # Written before Stripe is asked, then one of refunded, refund_refused, refund_failed or
    # refund_unknown (the answer was lost: Stripe may have refunded) after.
    REFUND_REQUESTED = "refund_requested"
    REFUND_FAILED = "refund_failed"
    REFUND_UNKNOWN = "refund_unknown"


@dataclass(frozen=True, slots=True)
class Who:
    """Who acted: an owner's name then and id (a name removed and added again is another owner),
    the session's id (never its cookie) and the client's address. A command-line actor or an
    unknown name at sign-in has no id."""

    name: str
    owner_id: int | None = None
    session_id: int | None = None
    address: str = ""


async def record(
    action: Action,
    *,
    actor: Who | str,
    order_id: int | None = None,
    detail: str = "",
    reference: str | None = None,
) -> None:
    who = actor if isinstance(actor, Who) else Who(actor)
    entry = AuditEntry(
        action=action.value,
        actor=who.name[:100],
        actor_id=who.owner_id,
        session_id=who.session_id,
        order_id=order_id,
        address=who.address[:64],
        detail=detail,
        reference=reference,
    )
    await AuditEntry.insert(entry).on_conflict(target=AuditEntry.reference, action="DO NOTHING")
