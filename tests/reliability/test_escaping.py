"""A product name with markup in it is text everywhere it is shown, the hosted page included."""

from __future__ import annotations

import httpx

from app.catalog.service import seed_products
from app.catalog.tables import Product
from tests.support.checkout import Shopper, pay
from tests.support.http import HTMX
from tests.support.stripe_sandbox import SandboxServer

NAME = "<img src=x onerror=alert(1)><script>alert('x')</script> & \"mug\""
RAW = ("<img src=x", "<script>alert")
ESCAPED = "&lt;img src=x onerror=alert(1)&gt;&lt;script&gt;"


def shows_as_text(html: str) -> bool:
    return ESCAPED in html and not any(raw in html for raw in RAW)


async def test_markup_in_a_product_name_is_escaped_on_every_page(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    await Product.update({Product.name: NAME}).where(Product.sku == "mug-350")
    await seed_products()  # and forget any products a page kept for display

    shop = await shopper.open_shop()
    fragment = await shopper.http.post(
        "/cart", data={"_csrf_token": shopper.csrf, "qty-mug-350": "2"}, headers=HTMX
    )
    session_id = await shopper.start_checkout({"mug-350": "1"})
    async with httpx.AsyncClient() as buyer:
        hosted = await buyer.get(f"{store_sandbox.url}/pay/{session_id}")
    await pay(store_sandbox, session_id)
    success = await shopper.success(session_id)
    orders = await shopper.http.get("/orders", headers=HTMX)

    pages = {
        "shop": shop,
        "cart fragment": fragment,
        "hosted page": hosted,
        "success": success,
        "My Orders": orders,
    }
    for what, response in pages.items():
        assert response.status_code == 200, what
        assert shows_as_text(response.text), what
