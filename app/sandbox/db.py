"""Database helpers: the clock, write transactions on either engine, and JSON-safe rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType

from app.sandbox.tables import SandboxSession


def now() -> datetime:
    return datetime.now(UTC)


def as_datetime(value: datetime | str) -> datetime:
    """RETURNING on SQLite may hand back the stored text instead of a datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def write_transaction() -> Any:
    """A transaction that starts as a writer, so two SQLite connections never deadlock upgrading."""
    engine = SandboxSession._meta.db
    if isinstance(engine, SQLiteEngine):
        return engine.transaction(transaction_type=TransactionType.immediate)
    assert isinstance(engine, PostgresEngine)
    return engine.transaction()
