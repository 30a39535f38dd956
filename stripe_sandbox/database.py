"""The sandbox's own database: an engine from its settings, bound to its tables, and the clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from piccolo.engine.base import Engine as BaseEngine
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from stripe_sandbox.settings import SandboxDatabase
from stripe_sandbox.tables import TABLES, SandboxSession

Engine = PostgresEngine | SQLiteEngine


class SandboxDatabaseError(RuntimeError):
    """The sandbox's database is not ready to serve from."""


def now() -> datetime:
    return datetime.now(UTC)


def build_engine(database: SandboxDatabase) -> Engine:
    if database.url:
        return PostgresEngine(config={"dsn": database.url})
    # A generous busy timeout lets the API, the hosted page and the loop share the file.
    return SQLiteEngine(path=str(database.sqlite_path), timeout=15)


def bind(engine: BaseEngine[Any]) -> None:
    """Point every sandbox table at `engine`: the tables name no engine of their own."""
    for table in TABLES:
        table._meta.db = engine


@asynccontextmanager
async def connected(engine: BaseEngine[Any]) -> AsyncIterator[None]:
    """The lifespan part: the tables bound, a pool on PostgreSQL, and the schema checked."""
    bind(engine)
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=1, max_size=10)
    try:
        await _check_tables()
        if isinstance(engine, SQLiteEngine):
            # Readers never block the writer: the hosted page stays up while the loop writes.
            await SandboxSession.raw("PRAGMA journal_mode=WAL")
        yield
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


async def _check_tables() -> None:
    missing = [table._meta.tablename for table in TABLES if not await table.table_exists()]
    if missing:
        raise SandboxDatabaseError(
            f"The Stripe sandbox's database has no table {', '.join(missing)}: "
            "run `python -m stripe_sandbox migrate` (with the same SANDBOX_* settings) first."
        )


def write_transaction() -> Any:
    """A transaction that starts as a writer, so two SQLite connections never deadlock upgrading."""
    engine = SandboxSession._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    assert isinstance(engine, PostgresEngine)
    return engine.transaction()
