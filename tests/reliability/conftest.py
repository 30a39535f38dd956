"""Reliability suite: the orders suite's harness, and the ledger checked after every test."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta

import pytest

from app.db import utcnow
from app.orders.reconcile import reconcile
from app.orders.tables import Order
from app.payments.gateway import GatewayConfig, PaymentGateway
from tests.conftest import ROOT, LiveServer, free_port
from tests.orders.conftest import (  # noqa: F401 - fixtures shared with the orders suite
    gateway,
    other_shopper,
    shopper,
    store,
)
from tests.orders.conftest import sandbox as sandbox
from tests.reliability.cluster import cluster  # noqa: F401 - a fixture
from tests.reliability.ledger import assert_consistent, newest_session, sessions_since
from tests.stripe_sandbox import WEBHOOK_SECRET, SandboxServer


@pytest.fixture
def ledger_sandbox(sandbox: SandboxServer) -> SandboxServer:
    """The Stripe account the ledger is kept against; a module with its own sandbox overrides it."""
    return sandbox


@pytest.fixture(autouse=True)
async def ledger(ledger_sandbox: SandboxServer) -> AsyncIterator[None]:
    """After the test and a reconcile, every session it opened balances against the orders."""
    bookmark = await newest_session(ledger_sandbox)
    yield
    await settle_ledger(ledger_sandbox, bookmark)


async def settle_ledger(sandbox: SandboxServer, bookmark: str | None) -> None:
    checker = PaymentGateway(GatewayConfig(sandbox.api_key, WEBHOOK_SECRET, sandbox.url))
    try:
        await reconcile(checker, stale_after=timedelta(0))
    finally:
        await checker.close()
    assert_consistent(await Order.select(), await sessions_since(sandbox, bookmark))


@pytest.fixture
def postgres_only(engine_name: str) -> None:
    if engine_name != "postgres":
        pytest.skip(
            "needs PostgreSQL: several processes and SIGKILL on one SQLite file test the file "
            "lock, not the store (run with TEST_DATABASE_URL=postgresql://…)"
        )


def store_env(sandbox: SandboxServer, **overrides: str) -> dict[str, str]:
    """A store process with real keys on the test sandbox, on a port of its own."""
    port = free_port()
    return {
        **os.environ,
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "PORT": str(port),
        "STRIPE_SECRET_KEY": sandbox.api_key,
        "STRIPE_API_BASE": sandbox.url,
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "STRIPE_TIMEOUT_SECONDS": "2",
        **overrides,
    }


@pytest.fixture
def store_processes(sandbox: SandboxServer) -> Iterator[list[LiveServer]]:
    """Store processes a test starts; whatever is still running is stopped afterwards."""
    started: list[LiveServer] = []
    yield started
    for server in started:
        server.stop()


async def reconcile_command(env: dict[str, str]) -> str:
    """`litestar --app app.main:create_app reconcile`, as an operator runs it after a crash."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "litestar", "--app", "app.main:create_app", "reconcile",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def age_orders(minutes: int = 10) -> None:
    """Make every order look untouched for a while, as reconcile leaves young ones alone."""
    then = utcnow() - timedelta(minutes=minutes)
    await Order.update({Order.created_at: then, Order.updated_at: then}, force=True)
