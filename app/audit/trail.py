"""The audit trail: one row per sign-in, failure, sign-out, account change and owner action."""

from __future__ import annotations

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


async def record(
    action: Action,
    *,
    actor: str,
    order_id: int | None = None,
    address: str = "",
    detail: str = "",
    reference: str | None = None,
) -> None:
    entry = AuditEntry(
        action=action.value,
        actor=actor[:100],
        order_id=order_id,
        address=address[:64],
        detail=detail,
        reference=reference,
    )
    await AuditEntry.insert(entry).on_conflict(target=AuditEntry.reference, action="DO NOTHING")
