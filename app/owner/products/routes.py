"""GET /owner/products and POST /owner/products/{sku}: one form per product."""

from __future__ import annotations

from typing import Any

from litestar import get, post
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from app.owner.products.service import ProductRefused, product_rows, update_product
from app.owner.sessions import Owner
from app.web import AnyRequest, is_htmx

SignedInOwner = NamedDependency[Owner]


@get("/products")
async def owner_products(owner: SignedInOwner) -> Template:
    return await _page(owner)


@post("/products/{sku:str}")
async def owner_update_product(
    request: AnyRequest, sku: FromPath[str], owner: SignedInOwner
) -> Response[Any]:
    form = {name: str(value) for name, value in (await request.form()).items()}
    try:
        said = await update_product(owner, sku[:32], form)
    except ProductRefused as refused:
        return await _page(owner, refused=refused, status_code=refused.status)
    if not is_htmx(request):
        return Redirect("/owner/products", status_code=303)
    return await _page(owner, notice=said)


async def _page(
    owner: Owner,
    *,
    notice: str | None = None,
    refused: ProductRefused | None = None,
    status_code: int = 200,
) -> Template:
    context = {
        "owner": owner,
        "products": await product_rows(),
        "notice": notice,
        "refused": refused,
    }
    return Template("owner/products.html", context=context, status_code=status_code)
