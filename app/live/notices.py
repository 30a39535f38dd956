"""Announcing order changes from the transaction that makes them, for every worker to hear."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from functools import cache, partial
from typing import Any

from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine
from piccolo.querystring import QueryString

from app.db import bound_engine, on_commit
from app.live.hub import Change, Hub

CHANNEL = "shop_order_changed"
_NOTIFY_EACH = "SELECT pg_notify({}, payload) FROM unnest({}::text[]) AS payload"


@cache
def in_process_hub(engine: SQLiteEngine) -> Hub:
    """SQLite has no NOTIFY: this process's one hub per database stands in (one worker only)."""
    return Hub()


async def announce(rows: Iterable[Mapping[str, Any]]) -> None:
    """Tell the pages showing these orders (rows with `id` and `visitor_id`) that they changed.

    Call it inside the atomic() block that changed them: the news is delivered when it commits
    and never if it rolls back (NOTIFY's own rule on PostgreSQL, on_commit on SQLite).
    """
    changes = [Change(row["id"], row["visitor_id"]) for row in rows]
    if not changes:
        return
    engine = bound_engine()
    if isinstance(engine, PostgresEngine):
        # One statement however many orders changed (reconcile may fail a batch at once).
        payloads = [change.payload for change in changes]
        await engine.run_querystring(QueryString(_NOTIFY_EACH, CHANNEL, payloads))
        return
    assert isinstance(engine, SQLiteEngine)
    hub = in_process_hub(engine)
    for change in changes:
        on_commit(partial(hub.publish, change))
