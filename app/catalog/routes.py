"""The shop page and the cart fragment that +/- and typing refresh in place."""

from __future__ import annotations

from urllib.parse import urlencode

from litestar import get, post
from litestar.response import Redirect, Template

from app.catalog.cart import Cart
from app.catalog.service import price_cart
from app.web import AnyRequest, is_htmx


def _status(cart: Cart) -> int:
    return 200 if cart.valid else 422


@get("/")
async def shop(request: AnyRequest) -> Template:
    cart = await price_cart(request.query_params.multi_items())
    return Template("shop.html", context={"cart": cart}, status_code=_status(cart))


@post("/cart")
async def update_cart(request: AnyRequest) -> Template | Redirect:
    form = await request.form()
    cart = await price_cart(form.multi_items())
    if is_htmx(request):
        return Template("_cart.html", context={"cart": cart}, status_code=_status(cart))
    if not cart.valid:
        return Template("shop.html", context={"cart": cart}, status_code=422)
    # Post/redirect/get: a reload of the page does not resubmit, and the quantities stay in the URL.
    kept = {line.field: line.quantity for line in cart.lines if line.quantity}
    return Redirect(f"/?{urlencode(kept)}" if kept else "/", status_code=303)
