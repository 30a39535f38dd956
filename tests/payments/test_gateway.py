"""The payments gateway: Stripe's objects turned into plain values, over the real stripe library."""

from __future__ import annotations

import secrets
import time

import httpx
import pytest

from app.payments.gateway import (
    CheckoutSession,
    GatewayConfig,
    LineItem,
    PaymentGateway,
    PaymentServiceUnavailable,
    RefundRefused,
    ShippingAddress,
    ShippingOffer,
    session_from,
)
from tests.support.http import free_port
from tests.support.stripe_sandbox import DEFAULT_ADDRESS, SandboxServer, submit_card

# The store's flat rate, offered as the one shipping option of every session here.
STANDARD = ShippingOffer("Standard shipping", 490, 2, 5)


def test_a_session_as_an_event_carries_it_becomes_plain_values() -> None:
    session = session_from(
        {
            "id": "cs_test_a1",
            "status": "complete",
            "payment_status": "paid",
            "amount_total": 2900,
            "currency": "usd",
            "payment_intent": {"id": "pi_123", "object": "payment_intent"},
            "metadata": {"order_id": "7"},
            "livemode": True,
        }
    )
    assert (session.payment_intent, session.metadata["order_id"]) == ("pi_123", "7")
    assert session.livemode is True
    assert session_from({"id": "cs_test_a2"}).livemode is False  # no word is no live payment


def test_the_buyers_email_comes_from_the_customer_details() -> None:
    paid = session_from(
        {
            "id": "cs_test_a3",
            "customer_email": None,
            "customer_details": {"email": "grace@example.com", "name": "Grace Hopper"},
        }
    )
    assert paid.customer_email == "grace@example.com"
    assert session_from({"id": "cs_test_a4", "customer_details": None}).customer_email is None


ADDRESS = {
    "name": "Zoë <b>Ünal</b>",
    "address": {
        "line1": "北京市朝阳区建国路88号",
        "line2": None,
        "city": "Montréal",
        "state": "QC",
        "postal_code": "H2X 1Y4",
        "country": "CA",
    },
}
AS_TYPED = ShippingAddress(
    name="Zoë <b>Ünal</b>",
    line1="北京市朝阳区建国路88号",
    line2="",
    city="Montréal",
    state="QC",
    postal_code="H2X 1Y4",
    country="CA",
)


@pytest.mark.parametrize(
    "where",
    [
        {"collected_information": {"shipping_details": ADDRESS}},  # 2025-03-31 and later
        {"shipping_details": ADDRESS},  # older API versions
        {"collected_information": None, "shipping_details": ADDRESS},
    ],
)
def test_the_shipping_address_is_read_wherever_the_api_version_puts_it(
    where: dict[str, object],
) -> None:
    session = session_from(
        {
            "id": "cs_test_a5",
            "amount_subtotal": 3600,
            "amount_total": 4090,
            "total_details": {"amount_discount": 0, "amount_shipping": 490, "amount_tax": 0},
            **where,
        }
    )
    assert session.shipping == AS_TYPED
    assert (session.amount_subtotal, session.amount_shipping, session.amount_total) == (
        3600,
        490,
        4090,
    )


def test_a_session_without_shipping_has_no_address_and_no_shipping_figure() -> None:
    bare = session_from({"id": "cs_test_a6", "collected_information": {"shipping_details": None}})
    assert (bare.shipping, bare.amount_shipping, bare.amount_subtotal) == (None, None, None)
    assert session_from({"id": "cs_test_a7", "total_details": None}).amount_shipping is None


async def test_a_created_session_round_trips_through_stripe(
    gateway: PaymentGateway, store_sandbox: SandboxServer
) -> None:
    created = await gateway.create_checkout_session(
        order_id=41,
        order_token="token-for-the-gateway-test",
        lines=[LineItem("Stoneware mug", 1800, 2)],
        currency="usd",
        success_url="http://127.0.0.1:9/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/checkout/cancel",
        expires_at=int(time.time()) + 3600,
        idempotency_key=f"gateway-test-{secrets.token_hex(8)}",
        shipping=STANDARD,
        ship_to=("US", "GB"),
    )
    fetched = await gateway.retrieve_checkout_session(created.id)

    assert created.url and created.url.startswith(store_sandbox.url)
    assert (fetched.id, fetched.status, fetched.payment_status) == (created.id, "open", "unpaid")
    # Two mugs at 18.00 and the one rate offered, 4.90, on top.
    assert (fetched.amount_subtotal, fetched.amount_shipping) == (3600, 490)
    assert (fetched.amount_total, fetched.currency, fetched.livemode) == (4090, "usd", False)
    assert fetched.shipping is None  # nobody has typed an address yet
    assert fetched.metadata == {"order_id": "41", "checkout_token": "token-for-the-gateway-test"}


async def _paid_session(gateway: PaymentGateway, email: str = "ada@example.com") -> CheckoutSession:
    created = await gateway.create_checkout_session(
        order_id=42,
        order_token=f"token-{secrets.token_hex(8)}",
        lines=[LineItem("House blend beans, 250 g", 1450, 2)],
        currency="usd",
        success_url="http://127.0.0.1:9/checkout/success?session_id={CHECKOUT_SESSION_ID}",
        cancel_url="http://127.0.0.1:9/checkout/cancel",
        expires_at=int(time.time()) + 3600,
        idempotency_key=f"gateway-test-{secrets.token_hex(8)}",
        shipping=STANDARD,
        ship_to=("US", "CA"),
    )
    assert created.url
    async with httpx.AsyncClient(follow_redirects=False) as browser:
        paid = await submit_card(browser, created.url, "4242424242424242", email=email)
    assert paid.status_code == 303
    return await gateway.retrieve_checkout_session(created.id)


async def test_a_paid_session_tells_the_buyers_email(gateway: PaymentGateway) -> None:
    session = await _paid_session(gateway, email="grace@example.com")

    assert (session.status, session.payment_status) == ("complete", "paid")
    assert session.customer_email == "grace@example.com"
    # Where submit_card shipped it: its default address, in the first country offered.
    assert session.shipping == ShippingAddress(
        name=DEFAULT_ADDRESS["shippingName"],
        line1=DEFAULT_ADDRESS["shippingAddressLine1"],
        line2=DEFAULT_ADDRESS["shippingAddressLine2"],
        city=DEFAULT_ADDRESS["shippingLocality"],
        state=DEFAULT_ADDRESS["shippingAdministrativeArea"],
        postal_code=DEFAULT_ADDRESS["shippingPostalCode"],
        country="US",
    )


async def test_a_partial_refund_then_the_rest(gateway: PaymentGateway) -> None:
    session = await _paid_session(gateway)
    # Two bags at 14.50 and 4.90 shipping: 33.90 charged.
    assert session.payment_intent and session.amount_total == 3390
    first_key = f"refund-{secrets.token_hex(8)}"

    first = await gateway.refund_payment(
        payment_intent=session.payment_intent, amount=500, idempotency_key=first_key
    )
    again = await gateway.refund_payment(
        payment_intent=session.payment_intent, amount=500, idempotency_key=first_key
    )
    rest = await gateway.refund_payment(
        payment_intent=session.payment_intent,
        amount=2890,
        idempotency_key=f"refund-{secrets.token_hex(8)}",
    )

    assert first.refund_id.startswith("re_")
    assert (first.amount_refunded, first.fully_refunded, first.currency) == (500, False, "usd")
    # The same key is the same refund: had it refunded again, the rest would be too much.
    assert (again.refund_id, again.amount_refunded) == (first.refund_id, 500)
    assert rest.refund_id != first.refund_id
    assert (rest.amount_refunded, rest.fully_refunded) == (3390, True)


async def test_refunds_stripe_will_not_make_are_refused_in_its_words(
    gateway: PaymentGateway, store_sandbox: SandboxServer
) -> None:
    session = await _paid_session(gateway)
    assert session.payment_intent
    key = f"refund-{secrets.token_hex(8)}"

    with pytest.raises(RefundRefused) as too_much:
        await gateway.refund_payment(
            payment_intent=session.payment_intent, amount=3391, idempotency_key=key
        )
    with pytest.raises(RefundRefused) as unknown:
        await gateway.refund_payment(
            payment_intent="pi_never_made", amount=100, idempotency_key=f"x-{key}"
        )
    with pytest.raises(RefundRefused) as reused:
        await gateway.refund_payment(
            payment_intent=session.payment_intent, amount=100, idempotency_key=key
        )

    assert "greater than unrefunded amount" in too_much.value.message
    assert "$33.91" in too_much.value.message
    assert "No such payment_intent: 'pi_never_made'" in unknown.value.message
    assert "same parameters" in reused.value.message
    for refused in (too_much, unknown, reused):
        assert store_sandbox.api_key not in refused.value.message
        assert "req_" not in refused.value.message
    # Nothing was refunded by any of them.
    whole = await gateway.refund_payment(
        payment_intent=session.payment_intent, amount=3390, idempotency_key=f"y-{key}"
    )
    assert (whole.amount_refunded, whole.fully_refunded) == (3390, True)


async def test_a_refund_with_stripe_unreachable_is_an_outage() -> None:
    config = GatewayConfig(
        "sk_test_x",
        None,
        f"http://127.0.0.1:{free_port()}",
        timeout_seconds=1,
        max_network_retries=0,
    )
    gateway = PaymentGateway(config)
    try:
        with pytest.raises(PaymentServiceUnavailable):
            await gateway.refund_payment(
                payment_intent="pi_123", amount=100, idempotency_key="refund-unreachable"
            )
    finally:
        await gateway.close()


async def test_dashboard_links_only_to_real_stripe(gateway: PaymentGateway) -> None:
    assert gateway.dashboard_url("pi_3Nabc") is None  # the sandbox's ids mean nothing there
    links = {}
    for key in ("sk_test_x", "rk_test_x", "sk_live_x", "rk_live_x", "sk_contract"):
        real = PaymentGateway(GatewayConfig(key, None))
        links[key] = [
            real.dashboard_url(object_id)
            for object_id in ("pi_3Nabc", "evt_1Nxyz", "ch_3Nabc", "pi_3N/../x", "cs_test_a1")
        ]
        await real.close()

    test = "https://dashboard.stripe.com/test"
    assert (
        links["sk_test_x"]
        == links["rk_test_x"]
        == [
            f"{test}/payments/pi_3Nabc",
            f"{test}/events/evt_1Nxyz",
            None,
            None,
            None,
        ]
    )
    assert (
        links["sk_live_x"]
        == links["rk_live_x"]
        == [
            "https://dashboard.stripe.com/payments/pi_3Nabc",
            "https://dashboard.stripe.com/events/evt_1Nxyz",
            None,
            None,
            None,
        ]
    )
    assert links["sk_contract"] == [None] * 5  # neither test nor live: no guess
