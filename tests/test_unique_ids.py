"""Every page the store renders names each element id once (a fragment's target must be one)."""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from app.orders.tables import Order, OrderStatus
from tests.support.checkout import Shopper, order_rows, pay
from tests.support.owner import OwnerBrowser, paid_order
from tests.support.stripe_sandbox import SandboxServer


class _Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: Counter[str] = Counter()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.update(value for name, value in attrs if name == "id" and value)


def repeated_ids(page: str) -> dict[str, int]:
    parser = _Ids()
    parser.feed(page)
    assert parser.ids, "a page without ids: not the page meant"
    return {name: count for name, count in parser.ids.items() if count > 1}


async def test_the_shop_the_receipt_and_the_owners_pages_repeat_no_id(
    shopper: Shopper, store_sandbox: SandboxServer, owner: OwnerBrowser
) -> None:
    # Enough orders for every table to show, and the latest orders to have an older page.
    for _ in range(11):
        order_id = await paid_order(shopper, {"beans-250": "1"})
    flagged = await paid_order(shopper, {"mug-350": "1"})
    await Order.update({Order.status: OrderStatus.NEEDS_REVIEW.value}).where(Order.id == flagged)
    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, session_id)
    [link] = await Order.select(Order.link_token).where(Order.id == order_id)
    find = {"email": "ada@example.com", "_csrf_token": shopper.csrf}
    pages = {
        "shop": (await shopper.http.get("/")).text,
        "order link": (await shopper.http.get(f"/order/{order_id}/{link['link_token']}")).text,
        "find my orders": (await shopper.http.post("/orders/find", data=find)).text,
        "success": (await shopper.success(session_id)).text,
        "order": (await owner.page(f"/owner/orders/{order_id}")).text,
        "dashboard": (await owner.page("/owner/")).text,
        "orders": (await owner.page("/owner/orders")).text,
    }
    assert 'id="order-' in pages["success"] and "Older orders" in pages["dashboard"]
    assert len(await order_rows()) == 13
    repeated = {name: repeated_ids(page) for name, page in pages.items()}
    assert repeated == {name: {} for name in pages}
