"""A real browser pays on the hosted page, under its strict CSP, and lands on success_url."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from tests.stripe_sandbox.conftest import shipping
from tests.support.browser import csp_violations
from tests.support.stripe_sandbox import FUTURE_EXPIRY, Receiver, fill_address

pytestmark = pytest.mark.browser


async def test_paying_with_4242_redirects_to_success_url_without_csp_violations(
    page: Page, stripe_client: Any, new_session: Any, receiver: Receiver
) -> None:
    session = await new_session()
    console_errors: list[str] = []
    page.on("console", lambda m: console_errors.append(m.text) if m.type == "error" else None)

    await page.goto(session.url)
    await page.get_by_label("Email").first.fill("ada@example.com")
    await page.fill("#cardNumber", "4242 4242 4242 4242")
    await page.fill("#cardExpiry", FUTURE_EXPIRY)
    await page.fill("#cardCvc", "123")
    await page.fill("#billingName", "Ada Lovelace")
    assert await csp_violations(page) == []
    assert await page.locator(".test-banner").inner_text() != ""
    async with page.expect_navigation(url=f"{receiver.url}/checkout/success**"):
        await page.get_by_role("button", name="Pay $47.00").click()

    assert page.url == f"{receiver.url}/checkout/success?session_id={session.id}"
    assert await page.locator("h1").inner_text() == "Thank you"
    assert not [e for e in console_errors if "Content Security Policy" in e]
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    assert paid.payment_status == "paid"


async def test_shipping_to_an_address_without_javascript(
    page_without_js: Page, stripe_client: Any, new_session: Any, receiver: Receiver
) -> None:
    page = page_without_js
    session = await new_session(**shipping())

    await page.goto(session.url)
    assert await page.locator("#shippingCountry option").all_inner_texts() == [
        "Canada",
        "United States",
    ]
    await page.fill("#email", "ada@example.com")
    await fill_address(
        page,
        {
            "shippingName": "Zoë <b>Ünal</b>",
            "shippingCountry": "CA",
            "shippingAddressLine1": "北京市朝阳区建国路88号",
            "shippingAddressLine2": "",
            "shippingLocality": "Montréal",
            "shippingAdministrativeArea": "QC",
            "shippingPostalCode": "H2X 1Y4",
        },
    )
    await page.fill("#cardNumber", "4242 4242 4242 4242")
    await page.fill("#cardExpiry", FUTURE_EXPIRY)
    await page.fill("#cardCvc", "123")
    await page.fill("#billingName", "Zoë Ünal")
    assert await page.locator("#order-shipping").inner_text() == "$4.90"
    async with page.expect_navigation(url=f"{receiver.url}/checkout/success**"):
        await page.get_by_role("button", name="Pay $51.90").click()

    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    assert paid.collected_information.shipping_details.to_dict() == {
        "name": "Zoë <b>Ünal</b>",
        "address": {
            "city": "Montréal",
            "country": "CA",
            "line1": "北京市朝阳区建国路88号",
            "line2": None,
            "postal_code": "H2X 1Y4",
            "state": "QC",
        },
    }
