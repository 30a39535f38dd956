"""Buy, the pages Stripe sends the buyer back to, My Orders, and Stripe's webhook."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from litestar import MediaType, get, post
from litestar.di import NamedDependency
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import FromPath, FromQuery
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Response, ServerSentEvent, Template

from app.errors import error_response
from app.live.sse import LiveStreams, Since, event_stream, resume_from
from app.metrics.store import webhook_received
from app.orders.cancellation import cancel_checkout
from app.orders.confirmation import handle_stripe_event
from app.orders.finder import InvalidEmail, TooManyAsks, find_orders
from app.orders.links import order_by_link
from app.orders.listing import visitor_orders
from app.orders.live import visitor_updates
from app.orders.queries import OrderNotFound, OrderStatus
from app.orders.receipt import receipt_page
from app.orders.refusals import CartChanged, CheckoutClosed, CheckoutStillPreparing, InvalidCart
from app.orders.service import AlreadyPaid, BuyRules, CheckoutTerms, place_order
from app.orders.throttle import TooManyBuys, TrustedProxies
from app.payments.gateway import (
    SESSION_ID,
    InvalidWebhook,
    PaymentServiceUnavailable,
)
from app.payments.wiring import Gateway
from app.storefront import shop_page
from app.web import AnyRequest, ClientAddress, OrderIdParam, VisitorId, for_htmx, is_htmx

Terms = NamedDependency[CheckoutTerms]
Rules = NamedDependency[BuyRules]

UNAVAILABLE = "The payment service is unavailable right now. Nothing was charged. Please try again."
CLOSED = "That checkout has ended and nothing was charged. Press Buy to start a new one."
PREPARING = "Your order is still being prepared. Please wait a moment, then press Buy again."
CANCELED = "Payment canceled: nothing was charged. Your cart is as you left it."


@post("/checkout", status_code=200)
async def checkout(
    request: AnyRequest,
    visitor_id: VisitorId,
    client_address: ClientAddress,
    gateway: Gateway,
    checkout_terms: Terms,
    buy_rules: Rules,
) -> Response[Any]:
    fields = list((await request.form()).multi_items())
    try:
        placed = await place_order(
            gateway, checkout_terms, buy_rules, visitor_id, client_address, fields
        )
    except TooManyBuys as exc:
        return error_response(request, 429, headers={"retry-after": str(exc.retry_after)})
    except InvalidCart as exc:
        return await _cart_again(request, visitor_id, fields, 422, exc.message)
    except CartChanged as exc:
        return await _cart_again(request, visitor_id, fields, 409, exc.message, fresh=True)
    except PaymentServiceUnavailable:
        return await _cart_again(request, visitor_id, fields, 503, UNAVAILABLE)
    except CheckoutStillPreparing:
        return await _cart_again(request, visitor_id, fields, 409, PREPARING)
    except CheckoutClosed:
        return await _cart_again(request, visitor_id, fields, 409, CLOSED)
    if isinstance(placed, AlreadyPaid):
        return _redirect(request, f"/checkout/success?session_id={placed.order.stripe_session_id}")
    return _redirect(request, placed.url)


@get("/checkout/success")
async def checkout_success(
    visitor_id: VisitorId, gateway: Gateway, session_id: FromQuery[str | None] = None
) -> Template:
    page = await receipt_page(gateway, _valid_session_id(session_id), visitor_id)
    if page is None:
        raise NotFoundException()
    return Template("checkout/success.html", context=page.context())


@get("/checkout/receipt")
async def checkout_receipt(
    request: AnyRequest, visitor_id: VisitorId, session_id: FromQuery[str | None] = None
) -> Response[Any]:
    """The success page's receipt alone, as the order now is (re-fetched while it can change)."""
    session_id = _valid_session_id(session_id)
    if not is_htmx(request):
        return Redirect(f"/checkout/success?session_id={session_id}", status_code=303)
    page = await receipt_page(None, session_id, visitor_id)
    if page is None or page.order is None:
        raise NotFoundException()
    return Template("checkout/_receipt.html", context=page.context())


@get("/checkout/cancel")
async def checkout_cancel(
    visitor_id: VisitorId, gateway: Gateway, session_id: FromQuery[str | None] = None
) -> Response[Any]:
    session_id = _valid_session_id(session_id)
    try:
        order = await cancel_checkout(gateway, session_id, visitor_id)
    except OrderNotFound:
        raise NotFoundException() from None
    except PaymentServiceUnavailable:
        return Template("checkout/cancel_failed.html", status_code=503)
    if order.status is not OrderStatus.CANCELED:
        return Redirect(f"/checkout/success?session_id={session_id}", status_code=303)
    quantities = [(f"qty-{line.sku}", str(line.quantity)) for line in order.lines]
    page = await shop_page(visitor_id, quantities, notice=CANCELED)
    return Template("shop.html", context=page.context())


@get("/orders")
async def my_orders(request: AnyRequest, visitor_id: VisitorId) -> Response[Any]:
    if not is_htmx(request):
        return Redirect("/#orders", status_code=303)
    return Template("_orders.html", context={"orders": await visitor_orders(visitor_id)})


@get("/order/{order_id:int}/{token:str}")
async def order_page(order_id: OrderIdParam, token: FromPath[str]) -> Template:
    """An order's own page: the link in its emails, good on any device without the cookie."""
    order = await order_by_link(order_id, token)
    if order is None:
        raise NotFoundException()
    return Template("order.html", context={"order": order})


@post("/orders/find", status_code=200)
async def find_my_orders(request: AnyRequest, client_address: ClientAddress) -> Response[Any]:
    email = str((await request.form()).get("email", ""))[:320]
    context: dict[str, Any] = {"find_email": email}
    status = 200
    try:
        context["find_notice"] = await find_orders(email, client_address)
    except InvalidEmail:
        context["find_error"], status = "Enter the email address you paid with.", 422
    except TooManyAsks as exc:
        return error_response(request, 429, headers={"retry-after": str(exc.retry_after)})
    template = "_find_orders.html" if is_htmx(request) else "find_orders.html"
    return Template(template, context=context, status_code=status)


@post("/webhooks/stripe", exclude_from_csrf=True, media_type=MediaType.JSON)
async def stripe_webhook(request: AnyRequest, gateway: Gateway) -> Response[dict[str, str]]:
    try:
        event = gateway.verify_webhook(
            await request.body(), request.headers.get("stripe-signature")
        )
    except InvalidWebhook:
        webhook_received("refused")
        return Response({"error": "invalid webhook"}, status_code=400)
    try:
        outcome = await handle_stripe_event(gateway, event)
    except PaymentServiceUnavailable:
        webhook_received("retry")
        # Stripe retries a 5xx with backoff; by then we can ask it about the session again.
        return Response({"error": "try again"}, status_code=503)
    webhook_received("handled")
    return Response({"outcome": outcome}, status_code=200)


def client_address(proxies: TrustedProxies) -> Callable[[AnyRequest], str]:
    """The dependency that names who is asking: the peer, or what a trusted proxy says."""

    def provide(request: AnyRequest) -> str:
        return proxies.client_address(request.scope)

    return provide


def _valid_session_id(session_id: str | None) -> str:
    if not session_id or not SESSION_ID.fullmatch(session_id):
        raise ValidationException()
    return session_id


def _redirect(request: AnyRequest, url: str) -> Response[Any]:
    # htmx follows a 303 with fetch, which cannot cross to Stripe's origin: tell htmx instead.
    return ClientRedirect(url) if is_htmx(request) else Redirect(url, status_code=303)


async def _cart_again(
    request: AnyRequest,
    visitor_id: VisitorId,
    fields: list[tuple[str, str]],
    status_code: int,
    notice: str | None,
    *,
    fresh: bool = False,
) -> Template:
    """The cart as it was sent, with why Buy did not go through; the form gets a fresh token."""
    page = await shop_page(
        visitor_id, fields, with_orders=not is_htmx(request), notice=notice, fresh=fresh
    )
    return for_htmx(
        request, page, template="shop.html", fragment="_cart.html", status_code=status_code
    )


@get("/orders/live", opt={"stream": True})
async def my_orders_live(
    request: AnyRequest,
    visitor_id: VisitorId,
    streams: LiveStreams,
    client_address: ClientAddress,
    since: Since = None,
) -> ServerSentEvent:
    start = resume_from(request, since)
    updates = partial(visitor_updates, streams.hub, visitor_id=visitor_id, since_ms=start)
    return event_stream(streams, visitor_id, client_address, updates)
