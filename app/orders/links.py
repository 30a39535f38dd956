"""An order's link: a random secret per order, checked in constant time, replaced on revoking."""

from __future__ import annotations

import hmac
import secrets

from app.audit.trail import Action, Who, record
from app.db import atomic, utcnow
from app.orders.queries import OrderView, order_by_id
from app.orders.tables import Order


async def order_by_link(order_id: int, token: str) -> OrderView | None:
    """The order if `token` is its link's secret; None otherwise (no such order reads the same)."""
    row = await Order.select(Order.link_token).where(Order.id == order_id).first()
    stored = (row or {}).get("link_token") or ""
    if not stored or not hmac.compare_digest(stored.encode(), token.encode()[:128]):
        return None
    return await order_by_id(order_id)


async def revoke_link(order_id: int, actor: Who | str) -> bool:
    """A new secret for the order's link (the old one stops working at once), audited."""
    async with atomic():
        changed = (
            await Order.update(
                {Order.link_token: secrets.token_urlsafe(24), Order.updated_at: utcnow()}
            )
            .where(Order.id == order_id)
            .returning(Order.id)
        )
        if changed:
            await record(Action.LINK_REVOKED, actor=actor, order_id=order_id)
    return bool(changed)
