"""A real browser pays on the hosted page, under its strict CSP, and lands on success_url."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.async_api import Page

from tests.support.browser import csp_violations
from tests.support.stripe_sandbox import FUTURE_EXPIRY, Receiver

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
