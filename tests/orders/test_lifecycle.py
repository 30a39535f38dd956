"""The order's life: the table's arrows are taken once each, and every other move is refused."""

from __future__ import annotations

import asyncio
import secrets
from typing import Any

import pytest

from app.orders.lifecycle import ARROWS, Arrow, Guard, take
from app.orders.tables import Fulfilment, Order, OrderStatus
from tests.support.database import stored_order

MUG = [("mug-350", "Mug", 1800, 1)]
# What the order needs beside its status for the arrow's guard to hold, and Stripe's figure.
GUARDED: dict[Guard | None, dict[str, Any]] = {
    Guard.PART_REFUNDED: {"refunded_cents": 100},
    Guard.REFUND_GROWS: {"refunded_cents": 100},
}
REFUNDED_NOW = 500


def _columns(row: dict[str, Any]) -> tuple[object, ...]:
    return (row["status"], row["fulfilment"], row["refunded_cents"], row["updated_at"])


async def _row(order_id: int) -> dict[str, Any]:
    row = await Order.select().where(Order.id == order_id).first()
    assert row is not None
    return row


@pytest.mark.parametrize("arrow", ARROWS, ids=[arrow.name for arrow in ARROWS])
async def test_each_arrow_leaves_only_from_its_sources_and_only_once(arrow: Arrow) -> None:
    refunded = REFUNDED_NOW if arrow.guard is Guard.REFUND_GROWS else None
    for status in OrderStatus:
        values = {"paid_cents": 2290, "payment_intent_id": f"pi_{secrets.token_hex(6)}"}
        order_id = await stored_order(
            secrets.token_hex(12), MUG, status=status, **values, **GUARDED.get(arrow.guard, {})
        )
        before = await _row(order_id)

        # Two callers at once: the conditional UPDATE lets at most one of them through.
        won = await asyncio.gather(
            take(arrow.name, order_id, refunded=refunded),
            take(arrow.name, order_id, refunded=refunded),
        )

        after = await _row(order_id)
        if status not in arrow.sources:
            assert won == [[], []], f"{arrow.name} left from {status}"
            assert _columns(after) == _columns(before)
            continue
        assert sorted(len(rows) for rows in won) == [0, 1], f"{arrow.name} from {status}"
        assert after["status"] == (arrow.target or status).value
        shipped = arrow.ships or before["fulfilment"] == Fulfilment.SHIPPED.value
        assert after["fulfilment"] == (Fulfilment.SHIPPED if shipped else Fulfilment.UNFULFILLED)
        assert after["updated_at"] > before["updated_at"]
        if refunded is not None:
            assert after["refunded_cents"] == refunded


async def test_a_guard_that_does_not_hold_refuses_the_arrow() -> None:
    shipped = await stored_order("s" * 24, MUG, fulfilment=Fulfilment.SHIPPED.value)
    assert await take("ship", shipped) == []
    with_session = await stored_order(
        "w" * 24, MUG, status=OrderStatus.PENDING, stripe_session_id="cs_test_guard"
    )
    assert await take("give_up", with_session) == []
    refunded = await stored_order(
        "r" * 24, MUG, refunded_cents=500, paid_cents=2290, payment_intent_id="pi_guard"
    )
    assert await take("refund_part", refunded, refunded=500) == []  # refunds only grow
    assert await take("refund_part", refunded, refunded=400) == []
    assert (await _row(refunded))["refunded_cents"] == 500
    review = await stored_order("n" * 24, MUG, status=OrderStatus.NEEDS_REVIEW)
    assert await take("accept_refunded", review) == []  # nothing refunded: accept instead
    assert [row["id"] for row in await take("accept", review)] == [review]


async def test_an_arrow_refuses_columns_it_does_not_declare() -> None:
    order_id = await stored_order("d" * 24, MUG, status=OrderStatus.PENDING)
    with pytest.raises(ValueError, match="does not write"):
        await take("expire", order_id, {Order.buyer_email: "someone@example.com"})
    with pytest.raises(ValueError, match="leave from"):
        await take("expire", order_id, only_from=OrderStatus.PAID)
    assert (await _row(order_id))["status"] == "pending"


def test_the_table_names_each_arrow_once_and_every_status_is_reachable() -> None:
    names = [arrow.name for arrow in ARROWS]
    assert len(names) == len(set(names))
    reached = {OrderStatus.PENDING} | {arrow.target for arrow in ARROWS if arrow.target}
    assert reached == set(OrderStatus)
    # Nothing leaves a full refund: it is where an order's life ends.
    assert not [arrow.name for arrow in ARROWS if OrderStatus.REFUNDED in arrow.sources]
