"""Shipping in Chromium: the cart's shipping line, the address on Stripe's page, the owner's
packing slip and "Mark shipped", and the buyer's tracking number; also without JavaScript."""

from __future__ import annotations

import re

from playwright.async_api import Browser, Page, expect

from app.orders.tables import Order
from tests.support.browser import another_browser, csp_violations, panel, sign_in
from tests.support.http import LiveServer
from tests.support.stripe_sandbox import fill_address

MUG = "Stoneware mug"
GOOD_CARD = "4242 4242 4242 4242"
# Typed on Stripe's page: accents, a non-Latin script and markup that must stay text.
ADDRESS = {
    "shippingName": "Zoë <b>Ünal</b>",
    "shippingCountry": "CA",
    "shippingAddressLine1": "12 rue Saint-Étienne & fils",
    "shippingAddressLine2": 'Appartement "3" <i>arrière</i>',
    "shippingLocality": "Montréal",
    "shippingAdministrativeArea": "QC",
    "shippingPostalCode": "H2X 1Y4",
}
# How a label reads it (app/payments/values.py: ShippingAddress.lines): blank parts left out.
LABEL = [
    "Zoë <b>Ünal</b>",
    "12 rue Saint-Étienne & fils",
    'Appartement "3" <i>arrière</i>',
    "Montréal, QC H2X 1Y4",
    "CA",
]
CARRIER = "Postes Canada"
TRACKING = "LX 1234 5678 9CA"


async def pay_with_card(page: Page, address: dict[str, str]) -> None:
    await page.locator("#email").fill("zoe@example.com")
    await fill_address(page, address)
    await page.locator("#cardNumber").fill(GOOD_CARD)
    await page.locator("#cardExpiry").fill("12 / 34")
    await page.locator("#cardCvc").fill("123")
    await page.locator("#billingName").fill("Zoë Ünal")
    await page.get_by_role("button", name=re.compile(r"^Pay ")).click()


async def address_lines(page: Page, selector: str) -> list[str]:
    """The address's lines as the page shows them, one per <br>, markup and all as text."""
    text = await page.locator(selector).inner_text()
    return [line.strip() for line in text.split("\n") if line.strip()]


async def order_row(order_id: int) -> dict[str, object]:
    row = await (
        Order.select(
            Order.status,
            Order.subtotal_cents,
            Order.shipping_cents,
            Order.total_cents,
            Order.paid_cents,
            Order.ship_name,
            Order.ship_line1,
            Order.ship_line2,
            Order.ship_city,
            Order.ship_state,
            Order.ship_postal_code,
            Order.ship_country,
        )
        .where(Order.id == order_id)
        .first()
    )
    assert row is not None
    return dict(row)


STORED_ADDRESS = {
    "ship_name": ADDRESS["shippingName"],
    "ship_line1": ADDRESS["shippingAddressLine1"],
    "ship_line2": ADDRESS["shippingAddressLine2"],
    "ship_city": ADDRESS["shippingLocality"],
    "ship_state": ADDRESS["shippingAdministrativeArea"],
    "ship_postal_code": ADDRESS["shippingPostalCode"],
    "ship_country": ADDRESS["shippingCountry"],
}


async def test_bought_paid_packed_shipped_and_tracked(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    buyer = page
    await buyer.goto(live_server.url + "/")
    await buyer.wait_for_function("window.htmx !== undefined")
    await buyer.evaluate("window.__samePage = true")
    items, shipping = buyer.locator("#cart-items"), buyer.locator("#cart-shipping")
    total, hint = buyer.locator("#cart-total"), buyer.locator(".free-hint")
    plus = buyer.get_by_role("button", name=f"One more: {MUG}")

    await plus.click()
    await plus.click()  # 2 x $18.00 = $36.00: under $40.00, so $4.90 to post
    await expect(items).to_have_attribute("data-items-cents", "3600")
    await expect(items).to_have_text("$36.00")
    await expect(shipping).to_have_attribute("data-shipping-cents", "490")
    await expect(shipping).to_have_text("$4.90")
    await expect(total).to_have_attribute("data-total-cents", "4090")
    await expect(total).to_have_text("$40.90")
    await expect(hint).to_have_text("Free shipping from $40.00.")

    await plus.click()  # 3 x $18.00 = $54.00: shipping is free
    await expect(items).to_have_attribute("data-items-cents", "5400")
    await expect(shipping).to_have_attribute("data-shipping-cents", "0")
    await expect(shipping).to_have_text("Free")
    await expect(total).to_have_attribute("data-total-cents", "5400")
    await expect(total).to_have_text("$54.00")
    await expect(hint).to_have_count(0)

    await buyer.get_by_role("button", name=f"One fewer: {MUG}").click()  # and back under
    await expect(shipping).to_have_attribute("data-shipping-cents", "490")
    await expect(total).to_have_attribute("data-total-cents", "4090")
    await plus.click()
    await expect(total).to_have_attribute("data-total-cents", "5400")
    await expect(shipping).to_have_text("Free")
    assert await buyer.evaluate("window.__samePage === true"), "the cart reloaded the page"

    await buyer.get_by_role("button", name="Buy").click()
    await buyer.wait_for_url("**/stripe-sandbox/pay/cs_test_*")
    await expect(buyer.locator("#order-subtotal")).to_have_text("$54.00")
    await expect(buyer.locator("#order-shipping")).to_have_attribute("data-amount", "0")
    await expect(buyer.locator("#order-shipping")).to_have_text("Free")
    await expect(buyer.locator("#order-total")).to_have_attribute("data-amount", "5400")
    await pay_with_card(buyer, ADDRESS)
    await buyer.wait_for_url("**/checkout/success?session_id=cs_test_*")
    await expect(buyer.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    receipt = buyer.locator("section.receipt")
    await expect(receipt).to_have_attribute("data-status", "paid")
    await expect(receipt.locator(".order-detail")).to_have_attribute(
        "data-fulfilment", "unfulfilled"
    )
    await expect(receipt.locator(".shipping-line")).to_have_attribute("data-shipping-cents", "0")
    await expect(receipt.locator(".shipping-line")).to_have_text("Shipping Free")
    await expect(receipt.locator(".order-total strong")).to_have_text("$54.00")
    await expect(receipt.locator(".shipped")).to_have_count(0)
    order_id = int(await receipt.get_attribute("data-order-id") or 0)
    assert await order_row(order_id) == {
        "status": "paid",
        "subtotal_cents": 5400,
        "shipping_cents": 0,
        "total_cents": 5400,
        "paid_cents": 5400,
        **STORED_ADDRESS,
    }
    assert await csp_violations(buyer) == []

    async with another_browser(browser) as owner:
        await sign_in(owner, live_server)
        waiting = owner.locator(f'#to-ship tr[data-order-id="{order_id}"]')
        await expect(waiting).to_have_attribute("data-status", "paid")
        await expect(owner.locator("#to-ship tr[data-order-id]")).to_have_count(1)
        await waiting.locator("a").click()
        await owner.wait_for_url(f"**/owner/orders/{order_id}")
        await expect(panel(owner)).to_have_attribute("data-fulfilment", "unfulfilled")
        ship_to = owner.locator("#owner-order .ship-to")
        assert await address_lines(owner, "#owner-order .ship-to") == [
            *LABEL[:-1],
            f"{LABEL[-1]} · Packing slip",
        ]
        await expect(ship_to.locator("b, i")).to_have_count(0)  # text, never markup

        await ship_to.get_by_role("link", name="Packing slip").click()
        await owner.wait_for_url(f"**/owner/orders/{order_id}/slip")
        slip = owner.locator(".packing-slip")
        await expect(slip).to_have_attribute("data-order-id", str(order_id))
        assert await address_lines(owner, ".packing-slip address.ship-to") == LABEL
        await expect(slip.locator("b, i")).to_have_count(0)
        await expect(slip.locator(".slip-lines tbody tr")).to_have_count(1)
        cells = await slip.locator(".slip-lines tbody tr td").all_inner_texts()
        assert cells == ["3", MUG, "mug-350"]
        page_text = await owner.locator("body").inner_text()
        assert not re.search(r"[$€£]|\d+\.\d\d|USD", page_text, re.I), page_text
        header, footer = owner.locator(".site-header"), owner.locator(".site-footer")
        back = owner.get_by_role("link", name=f"← Order #{order_id}")
        await expect(header).to_be_visible()  # on screen the site is around it
        await expect(back).to_be_visible()
        await owner.emulate_media(media="print")
        await expect(header).to_be_hidden()
        await expect(footer).to_be_hidden()
        await expect(back).to_be_hidden()
        await expect(slip).to_be_visible()
        await expect(slip.locator("address.ship-to")).to_be_visible()
        await owner.emulate_media(media="screen")
        await expect(header).to_be_visible()

        await back.click()
        await owner.wait_for_url(f"**/owner/orders/{order_id}")
        await owner.wait_for_function("window.htmx !== undefined")
        await owner.evaluate("window.__samePage = true")
        await owner.locator("#carrier").fill(CARRIER)
        await owner.locator("#tracking_number").fill(TRACKING)
        await owner.get_by_role("button", name="Mark shipped").click()
        await expect(panel(owner)).to_have_attribute("data-fulfilment", "shipped")
        await expect(panel(owner)).to_have_attribute("data-status", "paid")
        await expect(owner.locator("#owner-order .notice")).to_have_text("Marked shipped.")
        await expect(owner.locator("#owner-order .notice")).to_be_focused()
        await expect(owner.locator("#ship-form")).to_have_count(0)
        await expect(owner.locator("#owner-order .shipped")).to_contain_text(
            f"with {CARRIER} · tracking number {TRACKING}"
        )
        await expect(owner.locator('.timeline [data-kind="owner"]')).to_contain_text(
            f"Shipped: {CARRIER} {TRACKING}"
        )
        assert await owner.evaluate("window.__samePage === true"), "shipping reloaded the page"

        await owner.locator("#owner-nav").get_by_role("link", name="Dashboard").click()
        await owner.wait_for_url("**/owner/")
        await expect(owner.locator("#to-ship tr[data-order-id]")).to_have_count(0)
        assert await csp_violations(owner) == []

    await buyer.reload()  # the success page, and My orders under it
    await expect(receipt.locator(".order-detail")).to_have_attribute("data-fulfilment", "shipped")
    await expect(receipt.locator(".tracking")).to_have_text(TRACKING)
    await buyer.goto(live_server.url + "/")
    mine = buyer.locator(f'#orders [data-order-id="{order_id}"]')
    await expect(mine).to_have_attribute("data-status", "paid")
    await expect(mine.locator(".status-shipped")).to_have_text("Shipped")
    await expect(mine.locator(".order-detail")).to_have_attribute("data-fulfilment", "shipped")
    await expect(mine.locator(".shipped")).to_contain_text(
        f"with {CARRIER} · tracking number {TRACKING}"
    )
    await expect(mine.locator(".tracking")).to_have_text(TRACKING)
    assert await csp_violations(buyer) == []


async def test_without_javascript_stripes_page_takes_the_address_and_the_payment(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    await page.goto(live_server.url + "/")
    for quantity in (1, 2):
        await page.get_by_role("button", name=f"One more: {MUG}").click()
        await page.wait_for_url(f"**/?qty-mug-350={quantity}")
    await expect(page.locator("#cart-items")).to_have_attribute("data-items-cents", "3600")
    await expect(page.locator("#cart-shipping")).to_have_text("$4.90")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "4090")
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/cs_test_*")
    pay_url = page.url
    await expect(page.locator("#order-shipping")).to_have_text("$4.90")
    await expect(page.locator("#order-total")).to_have_attribute("data-amount", "4090")

    # A city left blank: the page comes back with its message and what was typed.
    await pay_with_card(page, {**ADDRESS, "shippingLocality": ""})
    await expect(page.locator("#shippingLocality-error")).to_have_text("Enter the city.")
    await expect(page.locator("#shippingLocality")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#shippingName")).to_have_value(ADDRESS["shippingName"])
    await expect(page.locator("#shippingAddressLine2")).to_have_value(
        ADDRESS["shippingAddressLine2"]
    )
    await expect(page.locator("#shippingCountry")).to_have_value("CA")
    assert "/checkout/success" not in page.url, pay_url

    await pay_with_card(page, ADDRESS)
    await page.wait_for_url("**/checkout/success?session_id=cs_test_*")
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    receipt = page.locator("section.receipt")
    await expect(receipt.locator(".shipping-line")).to_have_attribute("data-shipping-cents", "490")
    await expect(receipt.locator(".order-total strong")).to_have_text("$40.90")
    order_id = int(await receipt.get_attribute("data-order-id") or 0)
    assert await order_row(order_id) == {
        "status": "paid",
        "subtotal_cents": 3600,
        "shipping_cents": 490,
        "total_cents": 4090,
        "paid_cents": 4090,
        **STORED_ADDRESS,
    }
