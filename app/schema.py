"""What a starting server asks of its database: that it answers in time, and is fully migrated."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

from piccolo.apps.migrations.commands.base import BaseMigrationManager
from piccolo.conf.apps import AppConfig
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from app.catalog.service import seed_products
from app.db import Engine, keep_session
from app.piccolo_app import MIGRATED_APPS

logger = logging.getLogger("app.schema")

MIGRATE = "`make migrate` (in the container image: its `migrate` command)"
_RETRY_SECONDS = 1.0


class DatabaseNotReady(RuntimeError):
    """The server will not start on this database; the message says what to do."""


def store_database(
    engine: Engine, wait_seconds: float
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The lifespan part that opens the store's database, checks it and seeds the catalogue.

    It never migrates: that is a step of its own, before any server starts (`make migrate`).
    """

    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        # Engines are shared by every app built for one database: close only a pool we started.
        pooled = engine if isinstance(engine, PostgresEngine) and engine.pool is None else None
        try:
            await _open(engine, pooled, wait_seconds)
            if isinstance(engine, SQLiteEngine):
                # Write-ahead logging: readers never block the writer, so a burst of page views
                # cannot starve a checkout into "database is locked". Kept in the file.
                await engine.run_ddl("PRAGMA journal_mode=WAL")
            await seed_products()
            yield
        finally:
            if pooled and pooled.pool is not None:
                await pooled.close_connection_pool()

    return lifespan


async def _open(engine: Engine, pooled: PostgresEngine | None, wait_seconds: float) -> None:
    try:
        await wait_for_database(engine, wait_seconds)
        if pooled:
            await pooled.start_connection_pool(min_size=2, max_size=10, reset=keep_session)
        await refuse_unmigrated(engine, MIGRATED_APPS)
    except DatabaseNotReady as exc:
        logger.critical("%s", exc)  # one line an operator reads, before any traceback
        raise


async def wait_for_database(engine: Engine, seconds: float) -> None:
    """Until PostgreSQL accepts a connection, for at most `seconds` (a SQLite file is there)."""
    if not isinstance(engine, PostgresEngine):
        return
    deadline = time.monotonic() + seconds
    while True:
        try:
            async with asyncio.timeout(max(1.0, min(10.0, deadline - time.monotonic()))):
                connection = await engine.get_new_connection()
        except Exception as exc:
            # The type only: a driver's message can carry the address and user.
            reason = type(exc).__name__
        else:
            await connection.close()
            return
        if time.monotonic() + _RETRY_SECONDS > deadline:
            raise DatabaseNotReady(
                f"PostgreSQL did not accept a connection within {seconds:g} s ({reason}): is it "
                "running, and is DATABASE_URL right? DATABASE_WAIT sets how long to wait."
            )
        logger.warning("waiting for PostgreSQL (%s)", reason)
        await asyncio.sleep(_RETRY_SECONDS)


async def refuse_unmigrated(engine: Engine, apps: Iterable[AppConfig]) -> None:
    """Raise DatabaseNotReady unless every migration of `apps` is recorded as applied."""
    applied = await _applied(engine)
    # In the order they run: the user app's, then the store's.
    missing = [
        (app.app_name, id_)
        for app in apps
        for id_ in _migration_ids(app)
        if (app.app_name, id_) not in applied
    ]
    if missing:
        named = ", ".join(f"{app}:{id_}" for app, id_ in missing[:5])
        more = f" and {len(missing) - 5} more" if len(missing) > 5 else ""
        raise DatabaseNotReady(
            f"The database is not migrated ({len(missing)} migrations not applied: {named}{more}). "
            f"Run {MIGRATE} with the same DATABASE_URL, then start the server again."
        )


def _migration_ids(app: AppConfig) -> list[str]:
    manager = BaseMigrationManager()
    return manager.get_migration_ids(
        manager.get_migration_modules(app.resolved_migrations_folder_path)
    )


async def _applied(engine: Engine) -> set[tuple[str, str]]:
    """(app, migration id) of every migration Piccolo recorded; none if it never ran."""
    if isinstance(engine, PostgresEngine):
        exists = "SELECT to_regclass('migration') IS NOT NULL AS found"
    else:
        exists = "SELECT count(*) > 0 AS found FROM sqlite_master WHERE name = 'migration'"
    [row] = await engine.run_querystring(QueryString(exists))
    if not row["found"]:
        return set()
    rows = await engine.run_querystring(QueryString("SELECT app_name, name FROM migration"))
    return {(row["app_name"], row["name"]) for row in rows}
