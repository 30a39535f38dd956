"""The shop page and the cart fragment that +/- and typing refresh in place."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import get, post
from litestar.enums import MediaType
from litestar.response import Redirect, Template

from app.storefront import shop_page
from app.web import AnyRequest, VisitorId, for_htmx, is_htmx


@get("/")
async def shop(request: AnyRequest, visitor_id: VisitorId) -> Template:
    page = await shop_page(visitor_id, request.query_params.multi_items())
    return Template(
        "shop.html",
        context=page.context(),
        status_code=page.status_code,
        media_type=MediaType.HTML,  # as app/web.py's for_htmx: not guessed per response
    )


@post("/cart")
async def update_cart(request: AnyRequest, visitor_id: VisitorId) -> Template | Redirect:
    fields = list((await request.form()).multi_items())
    page = await shop_page(visitor_id, fields, with_orders=not is_htmx(request))
    if page.cart.valid and not is_htmx(request):
        # Post/redirect/get: a reload does not resubmit, and the quantities stay in the URL.
        kept = {line.field: line.quantity for line in page.cart.lines if line.quantity}
        return Redirect(f"/?{urlencode(kept)}" if kept else "/", status_code=303)
    return for_htmx(request, page, template="shop.html", fragment="_cart.html")
