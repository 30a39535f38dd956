"""The framework's ceiling: a bare Litestar app answering every benchmarked route with one page."""

from __future__ import annotations

from litestar import Litestar, MediaType, get, post

PAGE = (
    "<!doctype html><html lang=en><head><meta charset=utf-8><title>Corner Roastery</title>"
    "</head><body><main><h1>This week's shop</h1><p>Hello.</p></main></body></html>"
)


@get(["/", "/orders"], media_type=MediaType.HTML, sync_to_thread=False)
def page() -> str:
    return PAGE


@post(["/cart", "/checkout", "/webhooks/stripe"], media_type=MediaType.HTML, status_code=200)
async def posted() -> str:
    return PAGE


def create_app() -> Litestar:
    return Litestar(route_handlers=[page, posted], openapi_config=None)
