"""Database helpers shared by the services: one atomic block that behaves alike on both engines."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from app.catalog.tables import Product


def atomic() -> Any:
    """A transaction; on SQLite it takes the write lock up front, so it waits instead of failing."""
    engine = Product._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    return engine.transaction()


def utcnow() -> datetime:
    return datetime.now(UTC)
