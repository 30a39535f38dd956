"""The shop page's data: the priced cart and this visitor's orders."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from app.catalog.service import price_cart
from app.orders.queries import visitor_orders


async def shop_page(visitor_id: str, fields: Iterable[tuple[str, str]]) -> dict[str, Any]:
    return {"cart": await price_cart(fields), "orders": await visitor_orders(visitor_id)}
