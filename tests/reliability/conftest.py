"""Reliability suite: the ledger checked after every test, and the processes a test starts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from app.mail.tables import Mail
from app.orders.reconcile import reconcile
from app.orders.tables import Order
from app.payments.gateway import GatewayConfig, PaymentGateway
from tests.reliability.cluster import cluster  # noqa: F401 - a fixture
from tests.reliability.ledger import (
    assert_consistent,
    charges_since,
    newest_refund,
    newest_session,
    sessions_since,
)
from tests.support.http import LiveServer
from tests.support.stripe_sandbox import WEBHOOK_SECRET, SandboxServer


@pytest.fixture
def ledger_sandbox(store_sandbox: SandboxServer) -> SandboxServer:
    """The Stripe account the ledger is kept against; a module with its own sandbox overrides it."""
    return store_sandbox


@pytest.fixture(autouse=True)
async def ledger(ledger_sandbox: SandboxServer) -> AsyncIterator[None]:
    """After the test and a reconcile, every session it opened, and every refund Stripe made
    meanwhile, balances against the orders."""
    bookmark = await newest_session(ledger_sandbox)
    refunds_bookmark = await newest_refund(ledger_sandbox)
    yield
    await settle_ledger(ledger_sandbox, bookmark, refunds_bookmark)


async def settle_ledger(
    store_sandbox: SandboxServer, bookmark: str | None, refunds_bookmark: str | None = None
) -> None:
    checker = PaymentGateway(
        GatewayConfig(store_sandbox.api_key, WEBHOOK_SECRET, store_sandbox.url)
    )
    try:
        # Every order, not a run's batch: the ledger must see all that Stripe reports paid.
        await reconcile(checker, stale_after=timedelta(0), max_checks=1_000_000)
    finally:
        await checker.close()
    assert_consistent(
        await Order.select(),
        await sessions_since(store_sandbox, bookmark),
        await charges_since(store_sandbox, refunds_bookmark),
        await Mail.select(Mail.order_id, Mail.kind),
    )


@pytest.fixture
def postgres_only(engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip(
            "needs PostgreSQL: several processes and SIGKILL on one SQLite file test the file "
            "lock, not the store (run with TEST_DATABASE_URL=postgresql://…)"
        )


@pytest.fixture
def store_processes(store_sandbox: SandboxServer) -> Iterator[list[LiveServer]]:
    """Store processes a test starts; whatever is still running is stopped afterwards."""
    started: list[LiveServer] = []
    yield started
    for server in started:
        server.stop()
