"""The store's database: one engine per location, bound to the store's tables, atomic blocks."""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from app.catalog.tables import Product
from app.orders.tables import BuyWindow, Order, OrderChange, OrderLine, ReconcileRun, StripeEvent
from app.owner.tables import AuditEntry, BaseUser, OwnerSession, SignInAttempt
from app.settings import DatabaseSettings

Engine = PostgresEngine | SQLiteEngine
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


def atomic() -> Any:
    """A transaction; on SQLite it takes the write lock up front, so it waits instead of failing."""
    engine = Product._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def utcnow() -> datetime:
    return datetime.now(UTC)
