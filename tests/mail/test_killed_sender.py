"""A store process killed with -9 while sending: its claim runs out and another sender sends."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator

import httpx
import pytest
from litestar import Litestar

from app.mail.tables import Mail
from tests.support.checkout import Shopper, deliver, pay, webhook_for
from tests.support.http import LiveServer
from tests.support.mail import Sink
from tests.support.stripe_sandbox import Receiver, SandboxServer


@pytest.fixture
def doomed_store(store_env: Callable[..., dict[str, str]]) -> Iterator[LiveServer]:
    server = LiveServer(store_env(MAIL_LEASE_SECONDS="1"))
    server.start()
    yield server
    server.stop()


async def test_a_claim_of_a_killed_sender_is_sent_by_another_when_its_lease_ends(
    doomed_store: LiveServer, shopper: Shopper, store_sandbox: SandboxServer,
    receiver: Receiver, mailbox: Sink, stripe_store: Litestar,
) -> None:  # fmt: skip
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    mailbox.delays[:] = [6.0]  # the doomed store's message stalls at the server ...
    async with httpx.AsyncClient(base_url=doomed_store.url, timeout=30) as stripe:
        assert (await deliver(stripe, body, signature)).status_code == 200
    for _ in range(200):
        if mailbox.stalled:
            break
        await asyncio.sleep(0.02)
    assert [row["state"] for row in await Mail.select(Mail.state)] == ["sending"]
    doomed_store.kill()  # ... and the store dies with the row claimed, never marked
    for _ in range(300):
        [row] = await Mail.select(Mail.state, Mail.attempts)
        if row["state"] == "sent":
            break
        await asyncio.sleep(0.05)
    assert row == {"state": "sent", "attempts": 2}  # this process's sender took it over
    await mailbox.wait_for(1)
    await asyncio.sleep(6)  # the stalled copy may land too: the same message, recognisably
    assert 1 <= len(mailbox.arrived) <= 2
    assert len({m.message["Message-ID"] for m in mailbox.arrived}) == 1
