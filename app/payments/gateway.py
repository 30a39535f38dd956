"""The one module that speaks to Stripe: plain values in and out, one error for outages."""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import stripe

from app.metrics.store import stripe_call
from app.payments.dashboard import dashboard_base, dashboard_link
from app.payments.values import (
    CheckoutSession,
    Event,
    InvalidWebhook,
    LineItem,
    PaymentServiceUnavailable,
    Refunded,
    RefundRefused,
    SessionNotOpen,
    ShippingAddress,
    ShippingOffer,
    session_from,
)

# The values are the gateway's vocabulary: callers may name them from here.
__all__ = [
    "SESSION_ID",
    "CheckoutSession",
    "Event",
    "GatewayConfig",
    "InvalidWebhook",
    "LineItem",
    "PaymentGateway",
    "PaymentServiceUnavailable",
    "RefundRefused",
    "Refunded",
    "SessionNotOpen",
    "ShippingAddress",
    "ShippingOffer",
    "session_from",
]

logger = logging.getLogger("app.payments")

SESSION_ID = re.compile(r"cs_(?:test|live)_[A-Za-z0-9]{1,250}")
# What Stripe answers when it will not refund: a reason, not an outage (402 is CardError).
_REFUSALS = (stripe.InvalidRequestError, stripe.IdempotencyError, stripe.CardError)
# Stripe's own window for a signed webhook; it checks only the past, we check both directions.
SIGNATURE_TOLERANCE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class GatewayConfig:
    api_key: str
    webhook_secret: str | None
    api_base: str | None = None
    timeout_seconds: float = 10.0
    max_network_retries: int = 2


class PaymentGateway:
    """Async Stripe calls through stripe-python's StripeClient over httpx."""

    def __init__(self, config: GatewayConfig) -> None:
        self._webhook_secret = config.webhook_secret
        self._dashboard = dashboard_base(config.api_key, config.api_base)
        self._http = stripe.HTTPXClient(timeout=config.timeout_seconds)
        self._client = stripe.StripeClient(
            config.api_key,
            http_client=self._http,
            base_addresses={"api": config.api_base} if config.api_base else None,
            max_network_retries=config.max_network_retries,
        )

    async def close(self) -> None:
        await self._http.close_async()  # type: ignore[no-untyped-call]

    async def create_checkout_session(
        self,
        *,
        order_id: int,
        order_token: str,
        lines: Sequence[LineItem],
        currency: str,
        success_url: str,
        cancel_url: str,
        expires_at: int,
        idempotency_key: str,
        shipping: ShippingOffer,
        ship_to: Sequence[str],
    ) -> CheckoutSession:
        # The token tells this order apart from any other that ever had the same id.
        metadata = {"order_id": str(order_id), "checkout_token": order_token}
        params: dict[str, Any] = {
            "mode": "payment",
            "line_items": [
                {
                    "price_data": {
                        "currency": currency,
                        "unit_amount": line.unit_amount,
                        "product_data": {"name": line.name},
                    },
                    "quantity": line.quantity,
                }
                for line in lines
            ],
            "client_reference_id": str(order_id),
            "metadata": metadata,
            "payment_intent_data": {"metadata": metadata},
            "success_url": success_url,
            "cancel_url": cancel_url,
            "expires_at": expires_at,
            "shipping_address_collection": {"allowed_countries": list(ship_to)},
            # Exactly the rate the store computed, so the total is known before the redirect.
            "shipping_options": [{"shipping_rate_data": shipping.rate_data(currency)}],
        }
        session = await self._call(
            "create_checkout_session",
            self._client.v1.checkout.sessions.create_async(
                params,  # type: ignore[arg-type]
                {"idempotency_key": idempotency_key},
            ),
        )
        return session_from(session.to_dict())

    async def retrieve_checkout_session(self, session_id: str) -> CheckoutSession:
        session = await self._call(
            "retrieve_checkout_session",
            self._client.v1.checkout.sessions.retrieve_async(
                session_id, {"expand": ["line_items"]}
            ),
        )
        return session_from(session.to_dict())

    async def expire_checkout_session(self, session_id: str) -> CheckoutSession:
        try:
            session = await stripe_call(
                "expire_checkout_session",
                self._client.v1.checkout.sessions.expire_async(session_id),
            )
        except stripe.InvalidRequestError as exc:
            raise SessionNotOpen(session_id) from exc
        except stripe.StripeError as exc:
            raise PaymentServiceUnavailable(type(exc).__name__) from exc
        return session_from(session.to_dict())

    async def refund_payment(
        self, *, payment_intent: str, amount: int, idempotency_key: str
    ) -> Refunded:
        params: Any = {"payment_intent": payment_intent, "amount": amount, "expand": ["charge"]}
        try:
            refund = await stripe_call(
                "refund",
                self._client.v1.refunds.create_async(params, {"idempotency_key": idempotency_key}),
            )
        except _REFUSALS as exc:
            logger.info("stripe refused a refund: %s (%s)", exc.code, exc.http_status)
            # The error body's message alone: no request id, and never the key or headers.
            raise RefundRefused(
                str(exc.user_message or "Stripe refused the refund.")[:500]
            ) from exc
        except stripe.StripeError as exc:
            raise _unavailable(exc) from exc
        charge = refund.to_dict()["charge"]
        return Refunded(
            refund_id=refund.id,
            amount_refunded=charge["amount_refunded"],
            fully_refunded=charge["refunded"] is True,
            currency=charge["currency"],
        )

    def dashboard_url(self, object_id: str) -> str | None:
        """Stripe's dashboard page for a payment intent or event; None without a real Stripe."""
        return dashboard_link(self._dashboard, object_id)

    async def undelivered_events(self, limit: int = 100) -> list[Event]:
        page = await self._call(
            "list_events",
            self._client.v1.events.list_async({"delivery_success": False, "limit": limit}),
        )
        return [Event(id=e.id, type=e.type, object=e.data.object.to_dict()) for e in page.data]

    async def sessions_created_since(self, since: int) -> list[CheckoutSession]:
        """Every session created at or after `since` (unix seconds), newest first."""
        found: list[CheckoutSession] = []
        params: Any = {"limit": 100}
        while True:
            page = await self._call(
                "list_checkout_sessions", self._client.v1.checkout.sessions.list_async(params)
            )
            for session in page.data:
                if session.created < since:
                    return found
                found.append(session_from(session.to_dict()))
            if not page.has_more:
                return found
            params = {"limit": 100, "starting_after": page.data[-1].id}

    def verify_webhook(self, payload: bytes, signature: str | None) -> Event:
        if not self._webhook_secret:
            raise InvalidWebhook("no webhook secret is configured")
        if not signature:
            raise InvalidWebhook("missing Stripe-Signature header")
        if not _timestamp_is_fresh(signature):
            raise InvalidWebhook("timestamp outside the tolerance")
        try:
            stripe.WebhookSignature.verify_header(
                payload.decode("utf-8"),
                signature,
                self._webhook_secret,
                tolerance=SIGNATURE_TOLERANCE_SECONDS,
            )
            event = json.loads(payload)
        except (stripe.SignatureVerificationError, ValueError) as exc:
            raise InvalidWebhook(type(exc).__name__) from exc
        data = event.get("data") if isinstance(event, dict) else None
        obj = data.get("object") if isinstance(data, dict) else None
        if not isinstance(obj, dict) or not isinstance(event.get("id"), str):
            raise InvalidWebhook("not an event")
        return Event(id=event["id"], type=str(event.get("type", "")), object=obj)

    @staticmethod
    async def _call(operation: str, awaitable: Any) -> Any:
        try:
            return await stripe_call(operation, awaitable)
        except stripe.StripeError as exc:
            raise _unavailable(exc) from exc


def _unavailable(exc: stripe.StripeError) -> PaymentServiceUnavailable:
    # The buyer's answer is the same for every kind; the log keeps which one it was.
    logger.warning("stripe call failed: %s (%s)", type(exc).__name__, exc.http_status)
    settled = exc.http_status is not None and exc.http_status < 500
    return PaymentServiceUnavailable(type(exc).__name__, settled=settled)


def _timestamp_is_fresh(signature: str) -> bool:
    for part in signature.split(","):
        key, _, value = part.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit():
            return abs(time.time() - int(value)) <= SIGNATURE_TOLERANCE_SECONDS
    return False
