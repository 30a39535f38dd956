"""Which Stripe the store talks to, and what it creates for it: the sandbox only without keys."""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable

import asyncpg
import httpx
from litestar import Litestar

from app.main import create_app
from app.piccolo_app import BOUND_TABLES
from app.settings import Settings
from tests.support.database import create_database, drop_database, migrate
from tests.support.http import browser_like, running, texts_of

# The store's own tables and Piccolo's record of migrations: nothing of the sandbox's.
EXPECTED_TABLES = {table._meta.tablename for table in BOUND_TABLES} | {"migration"}


async def test_without_keys_every_page_says_payments_are_simulated(
    store_client: httpx.AsyncClient,
) -> None:
    page = await store_client.get("/")
    assert texts_of(page.text, "p", "test-mode") == ["Test mode: payments are simulated"]


async def test_with_keys_no_page_says_test_mode(store_settings: Callable[..., Settings]) -> None:
    settings = store_settings()
    app: Litestar = create_app(settings)
    async with running(app), browser_like(app, settings.public_url) as http:
        page = await http.get("/")
    assert page.status_code == 200
    assert texts_of(page.text, "p", "test-mode") == []


async def test_with_keys_the_migrations_create_only_the_stores_tables(
    test_env: dict[str, str],
) -> None:
    admin_url = os.environ.get("TEST_DATABASE_URL")
    database, created = await asyncio.to_thread(create_database, admin_url)
    keyed = {k: v for k, v in test_env.items() if k not in {"DATABASE_URL", "SQLITE_PATH"}}
    try:
        await asyncio.to_thread(
            migrate, {**keyed, **database, "STRIPE_SECRET_KEY": "sk_live_tables"}
        )
        if "DATABASE_URL" in database:
            connection = await asyncpg.connect(database["DATABASE_URL"])
            try:
                rows = await connection.fetch(
                    "SELECT tablename FROM pg_tables WHERE schemaname = 'public'"
                )
            finally:
                await connection.close()
            tables = {row["tablename"] for row in rows}
        else:
            with sqlite3.connect(database["SQLITE_PATH"]) as connection:
                rows = connection.execute(
                    "SELECT name FROM sqlite_master"
                    " WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                ).fetchall()
            tables = {name for (name,) in rows}
    finally:
        if admin_url and created:
            await asyncio.to_thread(drop_database, admin_url, created)
    assert tables == EXPECTED_TABLES
    assert not [name for name in tables if name.startswith("sandbox")]
