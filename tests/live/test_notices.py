"""An order change is announced when its transaction commits, and never when it rolls back."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator

import asyncpg
import pytest
from piccolo.engine.sqlite import SQLiteEngine

from app.db import atomic, on_commit
from app.live.hub import OWNERS, Change, Subscription
from app.live.notices import CHANNEL, in_process_hub
from app.orders.lifecycle import take
from app.orders.tables import Order, OrderStatus
from app.settings import Settings
from tests.support.database import stored_order


class Overheard:
    """The order ids a worker hears of: from PostgreSQL's channel (with the payload as sent), or
    from SQLite's in-process hub."""

    def __init__(self) -> None:
        self.heard: asyncio.Queue[tuple[int, str | None]] = asyncio.Queue()

    async def next(self, within: float = 5) -> tuple[int, str | None]:
        async with asyncio.timeout(within):
            return await self.heard.get()

    def nothing(self) -> bool:
        return self.heard.empty()

    def payload(self, payload: str) -> None:
        change = Change.parse(payload)
        assert change is not None, payload
        self.heard.put_nowait((change.order_id, payload))

    async def relay(self, inbox: Subscription) -> None:
        while True:
            if arrived := await inbox.wait(60):
                for order_id in arrived[0]:
                    self.heard.put_nowait((order_id, None))


@pytest.fixture
async def overheard(settings: Settings) -> AsyncIterator[Overheard]:
    heard = Overheard()
    if settings.database.url:
        connection = await asyncpg.connect(settings.database.url)
        await connection.add_listener(CHANNEL, lambda *args: heard.payload(args[3]))
        yield heard
        await connection.close()
        return
    engine = Order._meta.db
    assert isinstance(engine, SQLiteEngine)
    with in_process_hub(engine).subscribe(OWNERS) as inbox:
        relay = asyncio.create_task(heard.relay(inbox))
        yield heard
        relay.cancel()


async def pending(visitor_id: str) -> int:
    return await stored_order(
        secrets.token_urlsafe(8),
        [("mug-350", "Stoneware mug", 1800, 1)],
        visitor_id=visitor_id,
        status=OrderStatus.PENDING,
    )


class Boom(Exception):
    pass


async def test_a_committed_change_is_announced_with_ids_only(
    overheard: Overheard, engine_name: str
) -> None:
    order_id = await pending("v" * 24)
    assert await take("expire", order_id)
    heard, payload = await overheard.next()
    assert heard == order_id
    if engine_name == "postgres":
        # The payload names the order and its visitor, nothing else (no amount, no email).
        assert payload == f"{order_id} {'v' * 24}"


async def test_a_rolled_back_change_sends_nothing(overheard: Overheard) -> None:
    order_id = await pending("r" * 24)
    with pytest.raises(Boom):
        async with atomic():
            assert await take("expire", order_id)
            raise Boom
    status = await Order.select(Order.status).where(Order.id == order_id).first()
    assert status == {"status": "pending"}
    # A change to another order that does commit afterwards is heard, and it is the first
    # thing heard (on the same order, a wrong announcement from the rollback would look alike).
    other = await pending("o" * 24)
    assert await take("cancel", other)
    assert (await overheard.next())[0] == other
    assert overheard.nothing()


async def test_a_lost_race_changes_nothing_and_announces_nothing(overheard: Overheard) -> None:
    order_id, other = await pending("l" * 24), await pending("m" * 24)
    assert not await take("pay", order_id, only_from=OrderStatus.PROCESSING)
    # Another order's change, heard first: the lost race announced nothing before it.
    assert await take("expire", other)
    assert (await overheard.next())[0] == other
    assert overheard.nothing()


async def test_on_commit_runs_after_the_outer_block_and_never_after_a_rollback() -> None:
    ran: list[str] = []
    async with atomic():
        on_commit(lambda: ran.append("outer"))
        async with atomic():  # joins the outer block
            on_commit(lambda: ran.append("inner"))
        assert ran == []
    assert ran == ["outer", "inner"]
    with pytest.raises(Boom):
        async with atomic():
            on_commit(lambda: ran.append("rolled back"))
            raise Boom
    on_commit(lambda: ran.append("no block: now"))
    assert ran == ["outer", "inner", "no block: now"]


async def test_a_change_of_many_orders_announces_each_of_them(overheard: Overheard) -> None:
    first, second = await pending("a" * 24), await pending("b" * 24)
    changed = await take("expire", [first, second])
    assert sorted(row["id"] for row in changed) == [first, second]
    heard = {(await overheard.next())[0], (await overheard.next())[0]}
    assert heard == {first, second} and overheard.nothing()
