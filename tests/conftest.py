"""Test harness: a throwaway database per run, and the store built from settings for it."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from litestar import Litestar

from app.audit.tables import AuditEntry
from app.catalog.service import seed_products
from app.catalog.tables import Product
from app.mail.tables import Mail, MailWindow
from app.main import bind_store_tables, create_app
from app.orders.tables import Order, ReconcileRun, StripeEvent
from app.owner.tables import BaseUser, SignInAttempt
from app.settings import Settings, load_settings
from tests.support.database import clean_environment, create_database, drop_database, migrate
from tests.support.http import LiveServer, browser_like, csrf_token, free_port, running

if TYPE_CHECKING:  # imported as a plugin below, so pytest rewrites its asserts
    from tests.support.mail import Sink

# In dependency order: a plugin imported by a later one is registered (and rewritten) first.
pytest_plugins = [
    "tests.support.stripe_sandbox",
    "tests.support.checkout",
    "tests.support.owner",
    "tests.support.browser",
    "tests.support.mail",
]


@pytest.fixture(scope="session")
def test_env(tmp_path_factory: pytest.TempPathFactory, smtp_sink: Sink) -> Iterator[dict[str, str]]:
    """The environment a store process of this run gets: its database, key and address."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    database, created = create_database(admin_url)
    port = free_port()
    env = {
        **clean_environment(os.environ),
        **database,
        "SECRET_KEY": "test-" + secrets.token_urlsafe(40),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "DEBUG": "0",
        # Tests Buy many times from one address; tests/orders/test_buy_limits.py sets its own.
        "CHECKOUT_LIMIT_PER_MINUTE": "0",
        # Every store of the run sends to one real SMTP server in this process; retries are quick.
        "SMTP_URL": f"smtp://127.0.0.1:{smtp_sink.port}",
        "MAIL_FROM": "Corner Roastery <shop@roastery.test>",
        "OWNER_EMAIL": "owner@roastery.test",
        "MAIL_POLL_SECONDS": "2",
        "MAIL_RETRY_SECONDS": "0.3",
        "MAIL_TIMEOUT_SECONDS": "3",
        # The sandbox the store mounts when it has no Stripe keys keeps its own database.
        "SANDBOX_SQLITE_PATH": str(tmp_path_factory.mktemp("mounted") / "sandbox.sqlite3"),
    }
    migrate(env)
    migrate(env, "-m", "stripe_sandbox", "migrate")
    yield env
    if admin_url and created:
        drop_database(admin_url, created)


@pytest.fixture(scope="session")
def settings(test_env: dict[str, str]) -> Settings:
    """The store's settings for this run: no Stripe keys, so the sandbox is mounted."""
    return load_settings(test_env)


@pytest.fixture(scope="session")
def engine_name(settings: Settings) -> str:
    return settings.database.engine_name


@pytest.fixture(scope="session")
async def store_app(settings: Settings) -> AsyncIterator[Litestar]:
    async with running(create_app(settings)) as application:
        yield application


@pytest.fixture(autouse=True)
async def fresh_store(settings: Settings) -> None:
    """Each test starts with no orders, no owners and the seeded catalogue at its prices."""
    bind_store_tables(settings.database)
    await StripeEvent.delete(force=True)
    await Mail.delete(force=True)
    await MailWindow.delete(force=True)
    await Order.delete(force=True)  # lines and status changes go with their orders (CASCADE)
    await ReconcileRun.delete(force=True)
    for table in (SignInAttempt, AuditEntry, BaseUser):  # sessions go with their owners
        await table.delete(force=True)
    await Product.delete(force=True)
    await seed_products()


@pytest.fixture
async def store_client(store_app: Litestar, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    """One visitor (its own cookies) on the in-process store."""
    async with browser_like(store_app, settings.public_url) as http:
        yield http


@pytest.fixture
async def shop_csrf(store_client: httpx.AsyncClient) -> str:
    """Visit the shop once (as a browser would) and return the form's CSRF token."""
    page = await store_client.get("/")
    assert page.status_code == 200
    return csrf_token(page.text)


@pytest.fixture(scope="session")
def live_server(test_env: dict[str, str]) -> Iterator[LiveServer]:
    server = LiveServer(test_env)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def queries(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every statement the store's tables send: all go through the engine's run_querystring."""
    engine = Product._meta.db
    sent: list[str] = []
    run = type(engine).run_querystring

    async def counted(self: Any, querystring: Any, in_pool: bool = True) -> Any:
        # Not the mounted sandbox's engine, whose loop ticks meanwhile, nor the mail sender's
        # polls (app/mail/sender.py), which run beside a page's request whenever they are due.
        task = asyncio.current_task()
        if self is engine and (task is None or task.get_name() != "mail-sender"):
            sent.append(str(querystring))
        return await run(self, querystring, in_pool=in_pool)

    # The engine has __slots__: patch its class, for this test only.
    monkeypatch.setattr(type(engine), "run_querystring", counted)
    yield sent
