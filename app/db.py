"""The store's database: one engine per location, tables bound to it, atomic blocks."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from functools import cache

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine, TransactionType
from piccolo.table import Table

from app.settings import DatabaseSettings

Engine = PostgresEngine | SQLiteEngine
# The largest `serial` id (a 4-byte integer on PostgreSQL): past it no row has the id, and
# PostgreSQL would refuse the comparison instead of answering "none".
MAX_SERIAL = 2**31 - 1


@cache
def engine_for(database: DatabaseSettings) -> Engine:
    """One engine per database, so every app built for it in a process shares its pool."""
    if database.url:
        return PostgresEngine(config={"dsn": database.url})
    # A generous busy timeout lets a few workers share the file instead of failing fast.
    return SQLiteEngine(path=str(database.sqlite_path), timeout=15)


# The engine the tables were last bound to: Piccolo keeps its binding on each table class, so
# this is the same process-wide fact, kept where atomic() and notices can find it.
_bound: list[Engine] = []


def bind_tables(tables: Iterable[type[Table]], database: DatabaseSettings) -> Engine:
    """Point `tables` at `database`'s engine; tables name no engine of their own."""
    engine = engine_for(database)
    for table in tables:
        table._meta.db = engine
    _bound[:] = [engine]
    return engine


def bound_engine() -> Engine:
    assert _bound, "bind_tables() has not run: create_app() binds the store's tables"
    return _bound[0]


async def keep_session(connection: object) -> None:
    """asyncpg's pool `reset`: nothing beyond what it always does on release.

    Without it every release sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *;
    RESET ALL`, a round trip per query. Nothing here needs it: the store never SETs a session
    setting, takes a session-level advisory lock or opens a cursor outside a transaction, and
    listens only on a connection of its own, never a pooled one (app/live/listener.py). asyncpg
    still rolls back a transaction left open and drops listeners on every release.
    """


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
    engine = bound_engine()
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
