"""The owner's pages: dashboard, orders, one order; and its actions, refund and accept."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Response, Template

from app.orders.queries import OrderStatus
from app.owner.actions import (
    ActionRefused,
    Done,
    InvalidAmount,
    InvalidNote,
    OrderNotFound,
    RefundRefused,
    accept_order,
    refund_order,
)
from app.owner.queries import OrderDetail, dashboard, order_detail, order_page
from app.owner.sessions import Owner
from app.owner.shipping import InvalidShipment, printable, ship_order
from app.payments.gateway import PaymentGateway, PaymentServiceUnavailable
from app.web import MAX_ORDER_ID, AnyRequest, OrderIdParam, for_htmx, is_htmx

SignedInOwner = NamedDependency[Owner]
Gateway = NamedDependency[PaymentGateway]
Search = Annotated[str, QueryParameter(max_length=200, pattern=r"^[^\x00-\x1f\x7f]*$")]
Cursor = Annotated[int | None, QueryParameter(ge=1, le=MAX_ORDER_ID)]
Version = Annotated[str | None, QueryParameter(max_length=32, pattern=r"^[0-9]+$")]

STRIPE_DOWN = (
    "Stripe could not be reached: nothing was refunded. Try again; it will not refund twice."
)


@dataclass(frozen=True, slots=True)
class OrderPanel:
    """One order as the owner sees it, with what the last action said."""

    detail: OrderDetail
    stripe_link: Callable[[str], str | None]
    owner: Owner
    notice: str | None = None
    refund_error: str | None = None
    accept_error: str | None = None
    ship_error: str | None = None
    ship_field: str | None = None  # the ship form's field the error is about, if one
    amount: str | None = None  # as typed, shown again beside its error
    carrier: str = ""  # the ship form's fields as typed, shown again beside an error
    tracking_number: str = ""
    # The submitted refund form's token, kept when Stripe's answer is unknown: a retry is the
    # same refund at Stripe (a new token would refund again if the first one went through).
    form_token: str | None = None
    status_code: int = 200

    def context(self) -> dict[str, Any]:
        return {
            "detail": self.detail,
            "order": self.detail.order,
            "stripe_link": self.stripe_link,
            "owner": self.owner,
            "notice": self.notice,
            "refund_error": self.refund_error,
            "accept_error": self.accept_error,
            "ship_error": self.ship_error,
            "ship_field": self.ship_field,
            "amount": self.amount,
            "carrier": self.carrier,
            "tracking_number": self.tracking_number,
            # A new token per rendered form: its submits (however many) are one refund.
            "refund_token": self.form_token or secrets.token_urlsafe(16),
        }


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
    return for_htmx(request, panel, template="owner/order.html", fragment="owner/_order_panel.html")


@post("/orders/{order_id:int}/refund")
async def owner_refund(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    form = await request.form()
    amount, token = str(form.get("amount", "")), str(form.get("form_token", ""))
    try:
        done = await refund_order(gateway, owner, order_id, amount, token)
    except OrderNotFound:
        raise NotFoundException() from None
    except InvalidAmount as exc:
        return await _panel(
            request, order_id, owner, gateway, 422, refund_error=str(exc), amount=amount
        )
    except RefundRefused as exc:
        # Stripe's sentences do not always end in a full stop ("… on charge ($29.00)").
        message = f"Stripe refused: {exc.message.rstrip('.')}. Nothing was refunded."
        return await _panel(
            request, order_id, owner, gateway, 422, refund_error=message, amount=amount
        )
    except ActionRefused as exc:
        return await _panel(request, order_id, owner, gateway, 409, refund_error=exc.message)
    except PaymentServiceUnavailable:
        return await _panel(
            request,
            order_id,
            owner,
            gateway,
            503,
            refund_error=STRIPE_DOWN,
            amount=amount,
            form_token=token,
        )
    return await _after(request, done, owner, gateway)


@post("/orders/{order_id:int}/accept")
async def owner_accept(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    note = str((await request.form()).get("note", ""))
    try:
        done = await accept_order(owner, order_id, note)
    except OrderNotFound:
        raise NotFoundException() from None
    except InvalidNote as exc:
        return await _panel(request, order_id, owner, gateway, 422, accept_error=str(exc))
    except ActionRefused as exc:
        return await _panel(request, order_id, owner, gateway, 409, accept_error=exc.message)
    return await _after(request, done, owner, gateway)


@post("/orders/{order_id:int}/ship")
async def owner_ship(
    request: AnyRequest, order_id: OrderIdParam, owner: SignedInOwner, gateway: Gateway
) -> Response[Any]:
    form = await request.form()
    carrier, tracking = str(form.get("carrier", "")), str(form.get("tracking_number", ""))
    try:
        done = await ship_order(owner, order_id, carrier, tracking)
    except OrderNotFound:
        raise NotFoundException() from None
    except InvalidShipment as exc:
        said = {"ship_error": str(exc), "ship_field": exc.field}
        typed = {"carrier": printable(carrier), "tracking_number": printable(tracking)}
        return await _panel(request, order_id, owner, gateway, 422, **said, **typed)
    except ActionRefused as exc:
        return await _panel(request, order_id, owner, gateway, 409, ship_error=exc.message)
    return await _after(request, done, owner, gateway)


@get("/orders/{order_id:int}/slip")
async def owner_packing_slip(order_id: OrderIdParam, owner: SignedInOwner) -> Template:
    return Template("owner/slip.html", context={"order": (await _detail(order_id)).order})


async def _detail(order_id: int) -> OrderDetail:
    detail = await order_detail(order_id)
    if detail is None:
        raise NotFoundException()
    return detail


async def _panel(
    request: AnyRequest,
    order_id: int,
    owner: Owner,
    gateway: PaymentGateway,
    status_code: int,
    **said: str,
) -> Template:
    """The order as it now is, with why the action did not go through beside its form."""
    panel = OrderPanel(
        await _detail(order_id), gateway.dashboard_url, owner, status_code=status_code, **said
    )
    return for_htmx(request, panel, template="owner/order.html", fragment="owner/_order_panel.html")


async def _after(
    request: AnyRequest, done: Done, owner: Owner, gateway: PaymentGateway
) -> Response[Any]:
    if not is_htmx(request):
        # Post/redirect/get: reloading the page shows the order, it does not post again.
        return Redirect(f"/owner/orders/{done.order.id}", status_code=303)
    return await _panel(request, done.order.id, owner, gateway, 200, notice=done.notice)
