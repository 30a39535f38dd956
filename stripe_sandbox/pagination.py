"""Stripe's list pages: newest first, `limit` 1 to 100, and `starting_after` / `ending_before`."""

from __future__ import annotations

from typing import Any

from piccolo.columns import Column

from stripe_sandbox.errors import invalid, no_such
from stripe_sandbox.objects import Json


async def cursor_page(
    query: Any, key: Column, account_column: Column, account: str, params: Json, name: str
) -> tuple[list[Json], bool]:
    """The page of `query` that `params` ask for, and whether more rows lie beyond it.

    `key` is the column holding the public id (evt_…, cs_…) that cursors name.
    """
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100.", param="limit")
    row_id: Any = key._meta.table._meta.primary_key
    descending = True
    for param in ("starting_after", "ending_before"):
        if cursor := params.get(param):
            anchor = await (
                key._meta.table.select(row_id)
                .where(account_column == account, key == cursor)
                .first()
            )
            if anchor is None:
                raise no_such(name, cursor, param=param)
            descending = param == "starting_after"
            query = query.where(row_id < anchor["id"] if descending else row_id > anchor["id"])
            break
    rows: list[Json] = await query.order_by(row_id, ascending=not descending).limit(limit + 1)
    page = rows[:limit]
    if not descending:
        page.reverse()
    return page, len(rows) > limit
