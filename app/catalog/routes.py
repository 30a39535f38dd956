"""The shop page and the cart fragment that +/- and typing refresh in place."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Template

from app.catalog.service import price_cart
from app.storefront import shop_page
from app.web import AnyRequest, VisitorId, is_htmx


@get("/")
async def shop(request: AnyRequest, visitor_id: VisitorId) -> Template:
    page = await shop_page(visitor_id, request.query_params.multi_items())
    return Template("shop.html", context=page, status_code=200 if page["cart"].valid else 422)


@post("/cart")
async def update_cart(request: AnyRequest, visitor_id: VisitorId) -> Template | Redirect:
    fields = list((await request.form()).multi_items())
    if is_htmx(request):
        cart = await price_cart(fields)
        return Template(
            "_cart.html", context={"cart": cart}, status_code=200 if cart.valid else 422
        )
    page = await shop_page(visitor_id, fields)
    if not page["cart"].valid:
        return Template("shop.html", context=page, status_code=422)
    # Post/redirect/get: a reload does not resubmit, and the quantities stay in the URL.
    kept = {line.field: line.quantity for line in page["cart"].lines if line.quantity}
    return Redirect(f"/?{urlencode(kept)}" if kept else "/", status_code=303)
