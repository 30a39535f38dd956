"""What happens when an arrow wins, in its transaction: the live notice, the owner's audit entry."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from app.audit.trail import Action, Who, record
from app.live.notices import announce
from app.orders.holds import settle_stock
from app.orders.mailing import FOR_MAIL, mail_on_arrow
from app.orders.tables import Order


@dataclass(frozen=True, slots=True)
class Actor:
    """An owner who took an arrow by hand, and what they said about it (kept in the audit)."""

    who: Who
    detail: str = ""


@dataclass(frozen=True, slots=True)
class Taken:
    """An arrow that won: its name, the orders it moved (id, visitor_id), and who took it."""

    arrow: str
    audit: Action | None  # the entry an owner's taking it leaves
    rows: list[dict[str, Any]]
    actor: Actor | None


async def _announce(taken: Taken) -> None:
    await announce(taken.rows)


async def _audit(taken: Taken) -> None:
    if taken.audit is None or taken.actor is None:
        return
    for row in taken.rows:
        await record(
            taken.audit,
            actor=taken.actor.who,
            order_id=row["id"],
            detail=taken.actor.detail,
        )


async def _stock(taken: Taken) -> None:
    await settle_stock(taken.arrow, [row["id"] for row in taken.rows])


async def _mail(taken: Taken) -> None:
    await mail_on_arrow(taken.arrow, taken.rows)


Effect = Callable[[Taken], Awaitable[None]]
# What every effect needs of each order an arrow moved: take() returns these for every arrow.
ROW = (Order.id, Order.visitor_id, *FOR_MAIL)
# What every arrow that wins does, in its own transaction: stock held at Buy is released or
# taken, the pages showing the order hear of it at commit, an owner's arrow is audited, and the
# email it calls for joins the outbox.
EFFECTS: tuple[Effect, ...] = (_stock, _announce, _audit, _mail)
