"""The shop page's data: the priced cart, this visitor's orders and why Buy did not go through."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.catalog.cart import Cart
from app.catalog.service import price_cart
from app.orders.listing import ListedOrder, visitor_orders


@dataclass(frozen=True, slots=True)
class ShopPage:
    cart: Cart
    orders: list[ListedOrder] = field(default_factory=list)
    notice: str | None = None

    @property
    def status_code(self) -> int:
        return 200 if self.cart.valid else 422

    def context(self) -> dict[str, Any]:
        return {"cart": self.cart, "orders": self.orders, "notice": self.notice}


async def shop_page(
    visitor_id: str,
    fields: Iterable[tuple[str, str]],
    *,
    with_orders: bool = True,
    notice: str | None = None,
    fresh: bool = False,
) -> ShopPage:
    """The cart priced for display; My Orders only when the whole page is shown (one query).
    `fresh`: prices and stock read now, quantities lowered to what is left (a Buy sent back)."""
    cart = await price_cart(fields, fresh=fresh)
    orders = await visitor_orders(visitor_id) if with_orders else []
    return ShopPage(cart=cart, orders=orders, notice=notice)
