"""The order's life: every arrow declared once, each one conditional UPDATE with its effects."""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Protocol

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from app.audit.trail import Action
from app.db import atomic, utcnow
from app.log_context import about_order
from app.orders.effects import EFFECTS, ROW, Actor, Taken
from app.orders.tables import Fulfilment, Order, OrderStatus

logger = logging.getLogger("app.orders")

S = OrderStatus
ACTIVE = (S.PENDING, S.PROCESSING)  # Stripe may still move these on its own
CLOSED = (S.CANCELED, S.EXPIRED, S.FAILED)  # given up on before any payment landed
PAID = (S.PAID, S.PARTIALLY_REFUNDED)  # paid, not under review, something left to send


class Guard(StrEnum):
    """What an arrow asks of the order beside its status."""

    NO_SESSION = "no Checkout Session stored"
    UNSHIPPED = "not shipped yet"
    UNREFUNDED = "nothing refunded"
    PART_REFUNDED = "something refunded"
    REFUND_GROWS = "Stripe's refunded figure is above the stored one"


@dataclass(frozen=True, slots=True)
class Arrow:
    name: str
    action: str  # what happened, as the owner's buttons and the audit name it
    sources: tuple[OrderStatus, ...]
    target: OrderStatus | None  # None: the status stays (a refund under review)
    guard: Guard | None = None
    sets: tuple[str, ...] = ()  # the other columns it may write
    ships: bool = False  # sets fulfilment to shipped


G = Guard
REVIEW = (S.NEEDS_REVIEW,)
_CHARGE = ("payment_intent_id", "livemode", "paid_cents", "paid_currency", "buyer_email", "ship_*")
_REFUND = ("refunded_cents",)
_PAID_AT = ("paid_at",)
_SHIPMENT = ("shipped_at", "carrier", "tracking_number")

# Each row: name, action, from, to (None: the status stays), guard, and what else it writes.
ARROWS: tuple[Arrow, ...] = (
    Arrow("give_up", "fail", (S.PENDING,), S.FAILED, G.NO_SESSION),
    Arrow("process", "process", (S.PENDING,), S.PROCESSING),
    Arrow("pay", "pay", ACTIVE, S.PAID, sets=(*_PAID_AT, *_CHARGE)),
    Arrow("fail", "fail", ACTIVE, S.FAILED, sets=("buyer_email",)),
    Arrow("expire", "expire", (S.PENDING,), S.EXPIRED),
    Arrow("cancel", "cancel", (S.PENDING,), S.CANCELED),
    Arrow("flag", "review", (*ACTIVE, *CLOSED), S.NEEDS_REVIEW, sets=("review_reason", *_CHARGE)),
    Arrow("refund_part", "refund", PAID, S.PARTIALLY_REFUNDED, G.REFUND_GROWS, _REFUND),
    # Under review a partial refund leaves the order under review: only accept or a full
    # refund clears the flag, so a cent's refund cannot send a flagged order to "To ship".
    Arrow("refund_in_review", "refund", REVIEW, None, G.REFUND_GROWS, _REFUND),
    Arrow("refund_all", "refund", (*PAID, *REVIEW), S.REFUNDED, G.REFUND_GROWS, _REFUND),
    Arrow("accept", "accept", REVIEW, S.PAID, G.UNREFUNDED, _PAID_AT),
    Arrow("accept_refunded", "accept", REVIEW, S.PARTIALLY_REFUNDED, G.PART_REFUNDED, _PAID_AT),
    Arrow("ship", "ship", PAID, None, G.UNSHIPPED, _SHIPMENT, ships=True),
)
# The actions an owner takes by hand leave an entry in the audit trail.
AUDITED = {"accept": Action.ACCEPTED, "ship": Action.SHIPPED}
ARROW = {arrow.name: arrow for arrow in ARROWS}


class OrderFacts(Protocol):
    """What `allowed` reads of an order (an OrderView, or a row of the owner's list)."""

    @property
    def status(self) -> OrderStatus: ...
    @property
    def fulfilment(self) -> Fulfilment: ...
    @property
    def refundable_cents(self) -> int: ...


def allowed(order: OrderFacts, action: str) -> bool:
    """Whether some arrow of `action` leaves from where the order is now."""
    return any(
        arrow.action == action and order.status in arrow.sources and _holds(arrow.guard, order)
        for arrow in ARROWS
    )


def _holds(guard: Guard | None, order: OrderFacts) -> bool:
    if guard is Guard.UNSHIPPED:
        return order.fulfilment is Fulfilment.UNFULFILLED
    if guard is Guard.REFUND_GROWS:
        return order.refundable_cents > 0
    return True  # the others are the database's to check; no page offers them


async def take(
    name: str,
    order_ids: int | Iterable[int],
    values: Mapping[Any, object] | None = None,
    *,
    refunded: int | None = None,
    actor: Actor | None = None,
    only_from: OrderStatus | None = None,
    returning: tuple[Column, ...] = (),
) -> list[dict[str, Any]]:
    """Move the orders that are where arrow `name` leaves from (`only_from`: one of those); the
    rows it moved, none if it lost a race or does not apply. `refunded`: Stripe's figure."""
    arrow = ARROW[name]
    ids = [order_ids] if isinstance(order_ids, int) else list(order_ids)
    if not ids:
        return []
    if len(ids) == 1:
        about_order(ids[0])
    undeclared = [column for column in values or {} if not _declared(arrow, column)]
    if undeclared or (only_from is not None and only_from not in arrow.sources):
        raise ValueError(f"arrow {name} does not write {undeclared} or leave from {only_from}")
    sources = arrow.sources if only_from is None else (only_from,)
    changes: dict[Any, object] = {**(values or {}), Order.updated_at: utcnow()}
    if arrow.target is not None:
        changes[Order.status] = arrow.target.value
    if arrow.ships:
        changes[Order.fulfilment] = Fulfilment.SHIPPED.value
    if refunded is not None:
        changes[Order.refunded_cents] = refunded
    where = Order.id.is_in(ids) & Order.status.is_in([s.value for s in sources])
    if arrow.guard is not None:
        where &= _guard_sql(arrow.guard, refunded)
    async with atomic():
        rows: list[dict[str, Any]] = (
            await Order.update(changes).where(where).returning(*ROW, *_also(returning))
        )
        if rows:
            taken = Taken(arrow.name, AUDITED.get(arrow.action), rows, actor)
            for effect in EFFECTS:
                await effect(taken)
    where_to = arrow.target.value if arrow.target else "shipped" if arrow.ships else "as it was"
    for row in rows:
        logger.info("order %s -> %s", row["id"], where_to)
    return rows


def _also(returning: tuple[Column, ...]) -> list[Column]:
    given = {column._meta.name for column in ROW}
    return [column for column in returning if column._meta.name not in given]


def _declared(arrow: Arrow, column: Any) -> bool:
    name = column._meta.name
    return name in arrow.sets or (name.startswith("ship_") and "ship_*" in arrow.sets)


def _guard_sql(guard: Guard, refunded: int | None) -> Combinable:
    if guard is Guard.NO_SESSION:
        return Order.stripe_session_id.is_null()
    if guard is Guard.UNSHIPPED:
        return Order.fulfilment == Fulfilment.UNFULFILLED.value
    if guard is Guard.UNREFUNDED:
        return Order.refunded_cents == 0
    if guard is Guard.PART_REFUNDED:
        return Order.refunded_cents > 0
    assert refunded is not None, "a refund arrow needs Stripe's refunded figure"
    # Refunds only grow: an older figure arriving late never undoes a newer one.
    return Order.refunded_cents < refunded


async def take_first(
    names: Iterable[str], order_id: int, values: Mapping[Any, object] | None = None, **kwargs: Any
) -> str | None:
    """The first of several arrows that wins, tried in the order given (upstream first, so one
    that lost because the order moved on is never needed again); None if none applies."""
    for name in names:
        if await take(name, order_id, values, **kwargs):
            return name
    return None


def sql_status_in(statuses: Iterable[OrderStatus]) -> str:
    """`status IN ('paid', …)` as literals: for partial indexes a prepared plan cannot prove."""
    return "status IN ({})".format(", ".join(f"'{status.value}'" for status in statuses))


def state_machine() -> str:
    """The table as the README shows it (a test keeps the two the same)."""
    rows = [
        "| arrow | action | from | to | only if | also writes |",
        "|---|---|---|---|---|---|",
    ]
    for arrow in ARROWS:
        to = arrow.target.value if arrow.target else "(stays)"
        if arrow.ships:
            to = "fulfilment: shipped"
        rows.append(
            f"| {arrow.name} | {arrow.action} | {', '.join(s.value for s in arrow.sources)} "
            f"| {to} | {arrow.guard.value if arrow.guard else ''} | {', '.join(arrow.sets)} |"
        )
    return "\n".join(rows)
