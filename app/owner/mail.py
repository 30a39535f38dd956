"""What an owner does about an order's mail: send an email again, give the order a new link."""

from __future__ import annotations

import secrets

from app.audit.trail import Action, record
from app.db import atomic, bound_engine
from app.mail.outbox import resend
from app.orders.links import revoke_link
from app.orders.queries import OrderView, order_by_id
from app.owner.actions import Done, OrderNotFound
from app.owner.sessions import Owner


async def send_again(owner: Owner, order_id: int, mail_id: int) -> Done:
    """A new outbox row with the same words (the first keeps its own story), audited."""
    async with atomic():
        row = await resend(bound_engine(), mail_id, f"again-{mail_id}-{secrets.token_hex(8)}")
        if row is None or row["order_id"] != order_id:
            raise OrderNotFound()
        detail = f"{row['kind']} to {row['to_address']}"
        await record(Action.MAIL_RESENT, actor=owner.who, order_id=order_id, detail=detail)
    return Done(await _order(order_id), f"Sending the {row['kind']} email again.")


async def new_link(owner: Owner, order_id: int) -> Done:
    """The order's link changes: the old one stops working (a buyer who leaked it asks)."""
    if not await revoke_link(order_id, owner.who):
        raise OrderNotFound()
    return Done(await _order(order_id), "The order has a new link; the old one no longer works.")


async def _order(order_id: int) -> OrderView:
    order = await order_by_id(order_id)
    if order is None:
        raise OrderNotFound(order_id)
    return order
