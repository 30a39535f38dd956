"""The store's database: one engine per location, bound to the store's tables, atomic blocks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from app.catalog.tables import Product
from app.orders.tables import BuyWindow, Order, OrderChange, OrderLine, ReconcileRun, StripeEvent
from app.owner.tables import AuditEntry, BaseUser, OwnerSession, SignInAttempt
from app.settings import DatabaseSettings

Engine = PostgresEngine | SQLiteEngine
# The largest `serial` id (a 4-byte integer on PostgreSQL): past it no row has the id, and
# PostgreSQL would refuse the comparison instead of answering "none".
MAX_SERIAL = 2**31 - 1
STORE_TABLES: tuple[type[Table], ...] = (
    Product, Order, OrderLine, StripeEvent, BuyWindow, OrderChange, ReconcileRun,
    OwnerSession, SignInAttempt, AuditEntry,
)  # fmt: skip
# Piccolo's own user table (its app "user" migrates it), bound to the same database.
BOUND_TABLES: tuple[type[Table], ...] = (*STORE_TABLES, BaseUser)


@cache
def engine_for(database: DatabaseSettings) -> Engine:
    """One engine per database, so every app built for it in a process shares its pool."""
    if database.url:
        return PostgresEngine(config={"dsn": database.url})
    # A generous busy timeout lets a few workers share the file instead of failing fast.
    return SQLiteEngine(path=str(database.sqlite_path), timeout=15)


def bind_store_tables(database: DatabaseSettings) -> Engine:
    """Point the store's tables at `database`; tables name no engine of their own."""
    engine = engine_for(database)
    for table in BOUND_TABLES:
        table._meta.db = engine
    return engine


# What the innermost open atomic() block runs once it has committed (None outside one).
_after_commit: ContextVar[list[Callable[[], None]] | None] = ContextVar(
    "after_commit", default=None
)


@asynccontextmanager
async def atomic() -> AsyncIterator[None]:
    """A transaction; on SQLite it takes the write lock up front, so it waits instead of failing.

    A block inside another joins it: it commits, and runs its `on_commit` calls, with the outer.
    """
    if _after_commit.get() is not None:
        yield
        return
    engine = Product._meta.db
    callbacks: list[Callable[[], None]] = []
    token = _after_commit.set(callbacks)
    try:
        if isinstance(engine, SQLiteEngine):
            async with engine.transaction(transaction_type=TransactionType.immediate):
                yield
        else:
            async with engine.transaction():
                yield
    finally:
        _after_commit.reset(token)
    for callback in callbacks:
        callback()


def on_commit(callback: Callable[[], None]) -> None:
    """Run `callback` once the open atomic() block commits (never if it rolls back); now if none."""
    pending = _after_commit.get()
    if pending is None:
        callback()
    else:
        pending.append(callback)


def utcnow() -> datetime:
    return datetime.now(UTC)
