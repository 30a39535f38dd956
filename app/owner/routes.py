"""The owner's pages: dashboard, orders, one order; and its actions, refund and accept."""

from __future__ import annotations

from collections.abc import Awaitable
from functools import partial
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response, ServerSentEvent, Template

from app.live.sse import LiveStreams, Since, event_stream, resume_from
from app.orders.queries import OrderStatus
from app.owner.access import OwnerCookieDep
from app.owner.actions import (
    Confirm,
    Done,
    OrderNotFound,
    Refused,
    accept_order,
    refund_order,
    review_refund,
    ship_order,
)
from app.owner.live import owner_updates
from app.owner.mail import new_link, send_again
from app.owner.panel import OrderPanel
from app.owner.queries import OrderDetail, dashboard, order_detail, order_page
from app.owner.sessions import Owner
from app.payments.gateway import PaymentGateway
from app.payments.wiring import Gateway
from app.web import (
    MAX_ORDER_ID,
    AnyRequest,
    ClientAddress,
    OrderIdParam,
    RowIdParam,
    VisitorId,
    for_htmx,
    is_htmx,
)

SignedInOwner = NamedDependency[Owner]
Search = Annotated[str, QueryParameter(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
OrderId = Annotated[int | None, QueryParameter(ge=1, le=MAX_ORDER_ID)]
Cursor = Annotated[int | None, QueryParameter(ge=1, le=MAX_ORDER_ID)]
Version = Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[0-9]+$")]


@get("/")
async def owner_dashboard(request: AnyRequest, owner: SignedInOwner) -> Template:
    # htmx asks for the board alone when the live stream says an order changed.
    template = "owner/_dashboard.html" if is_htmx(request) else "owner/dashboard.html"
    return Template(template, context={"owner": owner, "board": await dashboard()})


@get("/orders")
async def owner_orders(
    request: AnyRequest,
    owner: SignedInOwner,
    status: FromQuery[str] = "",
    q: Search = "",
    before: Cursor = None,
) -> Template:
    wanted = _status(status)
    page = await order_page(wanted, q, before)
    # This page's own URL (for the live re-fetch), without the parameters it was not given.
    here = urlencode({k: v for k, v in {"status": status, "q": q, "before": before}.items() if v})
    context = {
        "owner": owner,
        "page": page,
        "status": wanted,
        "q": q,
        "statuses": OrderStatus,
        "list_url": f"/owner/orders?{here}",
    }
    # The filter form, the pager and the live stream ask with htmx, and all swap the table.
    template = "owner/_orders_table.html" if is_htmx(request) else "owner/orders.html"
    return Template(template, context=context)


def _status(text: str) -> OrderStatus | None:
    """ "" (the filter's "All") is every status; anything else must name one."""
    if not text:
        return None
    try:
        return OrderStatus(text)
    except ValueError:
        raise ValidationException() from None


@get("/orders/{order_id:int}")
async def owner_order(
    request: AnyRequest,
    order_id: OrderIdParam,
    owner: SignedInOwner,
    gateway: Gateway,
    seen: Version = None,
) -> Response[Any]:
    panel = OrderPanel(await _detail(order_id), gateway.dashboard_url, owner)
    if seen is not None and seen == panel.detail.order.version and is_htmx(request):
        # The live stream's re-fetch of an order shown as it is: keep the owner's notice and input.
        return Response(None, status_code=204)
    return _render(request, panel)


@post("/orders/{order_id:int}/refund")
async def owner_refund(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    form = await request.form()
    amount, token = str(form.get("amount", "")), str(form.get("form_token", ""))
    restock = form.get("restock") == "on"
    if form.get("step") == "review":  # the amount form: say the amount, refund nothing yet
        reviewing = review_refund(order_id, amount, token, restock)
        return await _act(request, order_id, owner, gateway, reviewing)
    refunding = refund_order(gateway, owner, order_id, amount, token, restock)
    return await _act(request, order_id, owner, gateway, refunding)


@post("/orders/{order_id:int}/accept")
async def owner_accept(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    note = str((await request.form()).get("note", ""))
    return await _act(request, order_id, owner, gateway, accept_order(owner, order_id, note))


@post("/orders/{order_id:int}/ship")
async def owner_ship(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    form = await request.form()
    carrier, tracking = str(form.get("carrier", "")), str(form.get("tracking_number", ""))
    shipping = ship_order(owner, order_id, carrier, tracking)
    return await _act(request, order_id, owner, gateway, shipping)


@post("/orders/{order_id:int}/mail/{mail_id:int}/again")
async def owner_send_again(
    request: AnyRequest, order_id: OrderIdParam, mail_id: RowIdParam, owner: SignedInOwner,
    gateway: Gateway,
) -> Response[Any]:  # fmt: skip
    return await _act(request, order_id, owner, gateway, send_again(owner, order_id, mail_id))


@post("/orders/{order_id:int}/link")
async def owner_new_link(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    return await _act(request, order_id, owner, gateway, new_link(owner, order_id))


@get("/live", opt={"passive": True, "stream": True})
async def owner_live(
    request: AnyRequest,
    streams: LiveStreams,
    owner_cookie: OwnerCookieDep,
    visitor_id: VisitorId,
    client_address: ClientAddress,
    order: OrderId = None,
    since: Since = None,
) -> ServerSentEvent:
    # The guard let it in; the stream checks the same session again as it goes on.
    session, start = request.cookies.get(owner_cookie.name, ""), resume_from(request, since)
    updates = partial(owner_updates, streams.hub, session=session, order_id=order, since_ms=start)
    # An owner's tabs are counted apart from their shopping.
    return event_stream(streams, f"owner:{visitor_id}", client_address, updates)


@get("/orders/{order_id:int}/slip")
async def owner_packing_slip(order_id: OrderIdParam, owner: SignedInOwner) -> Template:
    return Template("owner/slip.html", context={"order": (await _detail(order_id)).order})


async def _detail(order_id: int) -> OrderDetail:
    detail = await order_detail(order_id)
    if detail is None:
        raise NotFoundException()
    return detail


async def _act(
    request: AnyRequest,
    order_id: int,
    owner: Owner,
    gateway: PaymentGateway,
    action: Awaitable[Done | Confirm],
) -> Response[Any]:
    """Every owner action's one answer: the order with its notice, what to confirm, or why it
    did not go through beside its form; a done plain form post is redirected (post/redirect/get)."""
    try:
        done = await action
    except OrderNotFound:
        raise NotFoundException() from None
    except Refused as refused:
        panel = OrderPanel(await _detail(order_id), gateway.dashboard_url, owner, refused=refused)
        return _render(request, panel)
    if isinstance(done, Confirm):
        panel = OrderPanel(await _detail(order_id), gateway.dashboard_url, owner, confirm=done)
        return _render(request, panel)
    if not is_htmx(request):
        # Reloading the page shows the order, it does not post again.
        return Redirect(f"/owner/orders/{done.order.id}", status_code=303)
    detail = await _detail(done.order.id)
    return _render(request, OrderPanel(detail, gateway.dashboard_url, owner, notice=done.notice))


def _render(request: AnyRequest, panel: OrderPanel) -> Template:
    return for_htmx(request, panel, template="owner/order.html", fragment="owner/_order_panel.html")
