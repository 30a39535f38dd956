"""Every change a page shows goes through here: one conditional UPDATE, announced to live pages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from piccolo.columns import Column
from piccolo.custom_types import Combinable

from app.db import atomic, utcnow
from app.live.notices import announce
from app.orders.tables import Order


async def update_orders(
    values: Mapping[Any, object], where: Combinable, *returning: Column
) -> list[dict[str, Any]]:
    """The orders `where` still holds for, changed (and stamped) in one statement; the pages
    showing them hear of it when it commits. A lost race changes and announces nothing."""
    async with atomic():
        rows: list[dict[str, Any]] = (
            await Order.update({**values, Order.updated_at: utcnow()})
            .where(where)
            .returning(Order.id, Order.visitor_id, *returning)
        )
        await announce(rows)
    return rows
