"""What the payments gateway hands the store: plain values and errors, no Stripe types."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class PaymentServiceUnavailable(Exception):
    """Stripe could not be reached, timed out or failed. `settled`: Stripe answered that it did
    nothing (a 4xx it does not retry); otherwise the answer was lost (a timeout, a broken
    connection, a 5xx, which Stripe calls indeterminate) and the call may have happened."""

    def __init__(self, reason: str, *, settled: bool = False) -> None:
        super().__init__(reason)
        self.settled = settled


class InvalidWebhook(Exception):
    """A webhook that is not provably from Stripe: unsigned, badly signed, stale or not JSON."""


class SessionNotOpen(Exception):
    """Stripe refused to expire a session that is already complete or expired."""


class RefundRefused(Exception):
    """Stripe refused a refund (too much, already refunded, unknown payment, key reused)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message  # Stripe's own words, fit to show the owner


@dataclass(frozen=True, slots=True)
class LineItem:
    name: str
    unit_amount: int
    quantity: int


@dataclass(frozen=True, slots=True)
class ShippingOffer:
    """The one shipping rate a session offers (Stripe's shipping_rate_data, fixed amount)."""

    name: str
    amount: int
    min_business_days: int
    max_business_days: int

    def rate_data(self, currency: str) -> dict[str, Any]:
        """As Stripe's shipping_rate_data: a fixed amount with a delivery estimate."""
        days = {"unit": "business_day"}
        return {
            "type": "fixed_amount",
            "fixed_amount": {"amount": self.amount, "currency": currency},
            "display_name": self.name,
            "delivery_estimate": {
                "minimum": {**days, "value": self.min_business_days},
                "maximum": {**days, "value": self.max_business_days},
            },
        }


@dataclass(frozen=True, slots=True)
class ShippingAddress:
    """Where the buyer asked for the order to go, as typed on Stripe's page."""

    name: str
    line1: str
    line2: str
    city: str
    state: str
    postal_code: str
    country: str  # ISO 3166-1 alpha-2

    def lines(self) -> list[str]:
        """The address as a label reads, blank parts left out."""
        region = " ".join(part for part in (self.state, self.postal_code) if part)
        town = ", ".join(part for part in (self.city, region) if part)
        return [part for part in (self.name, self.line1, self.line2, town, self.country) if part]


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str | None
    status: str  # open, complete, expired
    payment_status: str  # unpaid, paid, no_payment_required
    amount_total: int | None
    currency: str | None
    payment_intent: str | None
    client_reference_id: str | None
    metadata: Mapping[str, str] = field(default_factory=dict)
    livemode: bool = False  # False for test-mode keys and the sandbox
    customer_email: str | None = None  # what the buyer typed on Stripe's page
    amount_subtotal: int | None = None  # the line items
    amount_shipping: int | None = None  # the shipping rate the buyer was charged
    shipping: ShippingAddress | None = None


@dataclass(frozen=True, slots=True)
class Refunded:
    refund_id: str
    amount_refunded: int  # the charge's total refunded so far, this refund included
    fully_refunded: bool
    currency: str


@dataclass(frozen=True, slots=True)
class Event:
    id: str
    type: str
    object: Mapping[str, Any]


def session_from(session: Mapping[str, Any]) -> CheckoutSession:
    """A Checkout Session object (from the API, or as an event carried it) as plain values."""
    payment_intent = session.get("payment_intent")
    if payment_intent is not None and not isinstance(payment_intent, str):
        payment_intent = payment_intent.get("id")
    return CheckoutSession(
        id=session["id"],
        url=session.get("url"),
        status=session.get("status") or "open",
        payment_status=session.get("payment_status") or "unpaid",
        amount_total=session.get("amount_total"),
        currency=session.get("currency"),
        payment_intent=payment_intent,
        client_reference_id=session.get("client_reference_id"),
        metadata=dict(session.get("metadata") or {}),
        livemode=session.get("livemode") is True,
        customer_email=(session.get("customer_details") or {}).get("email"),
        amount_subtotal=session.get("amount_subtotal"),
        amount_shipping=(session.get("total_details") or {}).get("amount_shipping"),
        shipping=_shipping_from(session),
    )


def _shipping_from(session: Mapping[str, Any]) -> ShippingAddress | None:
    # API versions from 2025-03-31 (stripe-python 16's among them) carry it under
    # collected_information; older ones at the top level. Read whichever this response has.
    details = (session.get("collected_information") or {}).get("shipping_details") or session.get(
        "shipping_details"
    )
    if not details:
        return None
    address = details.get("address") or {}
    return ShippingAddress(
        name=details.get("name") or "",
        **{
            key: address.get(key) or ""
            for key in ("line1", "line2", "city", "state", "postal_code", "country")
        },
    )
