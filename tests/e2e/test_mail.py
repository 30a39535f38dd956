"""In Chromium: the success page shows the order link, which opens the order in another
browser, and the owner's order page lists the email that carried it."""

from __future__ import annotations

from playwright.async_api import Browser, Page, expect

from tests.support.browser import another_browser, buy, csp_violations, pay, sign_in
from tests.support.http import LiveServer
from tests.support.mail import Sink


async def test_the_order_link_opens_the_order_elsewhere_and_the_owner_sees_the_email(
    page: Page, browser: Browser, live_server: LiveServer, mailbox: Sink, owner_account: int
) -> None:
    order_id = await buy(page, live_server, {"mug-350": "1"})
    await pay(page)
    link = page.locator("#order-link")
    await expect(link).to_contain_text(f"/order/{order_id}/")
    await expect(page.locator(".order-link")).to_contain_text("ada@example.com")
    url = await link.get_attribute("href")
    assert url is not None
    await mailbox.wait_for(1, "ada@example.com")
    assert url in mailbox.to("ada@example.com")[0].text

    async with another_browser(browser) as phone:  # no cookie of the buyer's
        await phone.goto(url)
        order = phone.locator(f"#order-{order_id}")
        await expect(order).to_have_attribute("data-status", "paid")
        await expect(order).to_contain_text("1 \u00d7 Stoneware mug")
        assert await csp_violations(phone) == []

    async with another_browser(browser) as desk:
        await sign_in(desk, live_server)
        await desk.goto(f"{live_server.url}/owner/orders/{order_id}")
        email = desk.locator("#order-mail li[data-kind='confirmed']")
        await expect(email).to_contain_text("ada@example.com")
        await expect(email).to_have_attribute("data-state", "sent", timeout=10_000)
        await email.locator("summary").click()
        await expect(email.locator(".mail-text")).to_contain_text(url)
