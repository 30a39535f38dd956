"""The owner's pages in Chromium: review, refund and accept; by keyboard, on a phone, without JS."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, Page, expect

from app.orders.tables import Order
from tests.support.browser import another_browser, buy, csp_violations, panel, pay, sign_in
from tests.support.http import LiveServer
from tests.support.owner import OWNER_NAME, OWNER_PASSWORD

# Two products, two mugs at $18.00 and a dripper at $29.99: the order refunded in part.
TWO_PRODUCTS = {"mug-350": "2", "dripper-v60": "1"}
# One bag of beans: $14.50 and $4.90 shipping (under $40.00), $19.40 in all.
BEANS = {"beans-250": "1"}
# Is the focused element's ring there, and does it stand out (>= 3:1, WCAG 1.4.11) from what
# it is drawn on: the background of the nearest ancestor that has one?
FOCUS_RING = """() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  const rgb = text => (text.match(/[\\d.]+/g) || []).map(Number);
  const luminance = ([r, g, b]) => {
    const lin = c => (c /= 255) <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  let under = el.parentElement, bg = [255, 255, 255];
  while (under) {
    const c = rgb(getComputedStyle(under).backgroundColor);
    if (c.length === 3 || (c.length === 4 && c[3] > 0)) { bg = c.slice(0, 3); break; }
    under = under.parentElement;
  }
  const [a, b] = [luminance(rgb(style.outlineColor)), luminance(bg)];
  return {
    what: el.outerHTML.slice(0, 120),
    visible: el.matches(':focus-visible') && style.outlineStyle !== 'none'
      && parseFloat(style.outlineWidth) >= 2,
    contrast: (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05),
  };
}"""
NO_SIDEWAYS_SCROLL = "document.documentElement.scrollWidth <= window.innerWidth"


# ---------------------------------------------------------------- the buyer's side


async def paid_order(page: Page, live_server: LiveServer, quantities: dict[str, str]) -> int:
    order_id = await buy(page, live_server, quantities)
    await pay(page)
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    return order_id


async def flagged_order(page: Page, live_server: LiveServer) -> int:
    """Bought, then the order's total changed under it: Stripe charges what no longer matches."""
    order_id = await buy(page, live_server, BEANS)
    await Order.update({Order.total_cents: 1}).where(Order.id == order_id)
    await pay(page)
    await expect(page.get_by_role("heading", name="We are checking this payment")).to_be_visible()
    return order_id


# ---------------------------------------------------------------- the owner's side


async def sign_out(page: Page) -> None:
    await page.locator("#owner-nav").get_by_role("button", name="Sign out").click()
    await page.wait_for_url("**/owner/login")


async def open_order(page: Page, where: str, order_id: int) -> None:
    await page.locator(f'{where} tr[data-order-id="{order_id}"] a').click()
    await page.wait_for_url(f"**/owner/orders/{order_id}")


async def test_the_owner_reviews_one_order_and_refunds_part_of_another(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    buyer = page
    flagged = await flagged_order(buyer, live_server)
    paid = await paid_order(buyer, live_server, TWO_PRODUCTS)

    async with another_browser(browser) as owner:
        await sign_in(owner, live_server)
        queue = owner.locator("#review-queue tr[data-order-id]")
        await expect(queue.first).to_have_attribute("data-order-id", str(flagged))
        await expect(queue.first).to_have_attribute("data-status", "needs_review")
        await expect(queue).to_have_count(1)  # the paid order is not in it
        await expect(
            owner.locator('.status-counts [data-status="needs_review"]')
        ).to_have_attribute("data-count", "1")
        await open_order(owner, "#review-queue", flagged)
        await expect(panel(owner)).to_have_attribute("data-status", "needs_review")
        await expect(owner.locator(".review-reason")).to_contain_text(
            "Stripe charged $19.40 in all; the order is $0.01."
        )
        await expect(owner.locator("#accept-form")).to_be_visible()

        await owner.locator("#owner-nav").get_by_role("link", name="Orders").click()
        await owner.wait_for_url("**/owner/orders")
        row = owner.locator(f'#owner-orders tr[data-order-id="{paid}"]')
        await expect(row).to_have_attribute("data-status", "paid")
        await open_order(owner, "#owner-orders", paid)
        await expect(panel(owner)).to_have_attribute("data-total-cents", "6599")
        await expect(owner.locator("#amount")).to_have_value("")  # never pre-filled
        await expect(owner.locator('label[for="amount"]')).to_contain_text("up to $65.99")
        await owner.evaluate("window.__samePage = true")

        await owner.locator("#amount").fill("5.00")
        await owner.get_by_role("button", name="Review refund").click()
        await expect(owner.locator("#refund-check")).to_have_text(
            "Refund $5.00 to the buyer? This cannot be undone."
        )
        assert (
            await owner.locator(f'[data-order-id="{paid}"]').get_attribute("data-refunded-cents")
            == "0"
        ), "the amount form refunded before it was confirmed"
        await owner.get_by_role("button", name="Refund $5.00").click()
        await expect(panel(owner)).to_have_attribute("data-status", "partially_refunded")
        await expect(panel(owner)).to_have_attribute("data-refunded-cents", "500")
        await expect(owner.locator("#order-title .status")).to_have_text("Partially refunded")
        await expect(owner.locator("#owner-order .notice")).to_have_text(
            "Refunded $5.00; $5.00 in all."
        )
        await expect(owner.locator("#amount")).to_have_value("")  # never the rest
        await expect(owner.locator('label[for="amount"]')).to_contain_text("up to $60.99")
        await expect(owner.locator('.timeline [data-kind="owner"]')).to_contain_text(
            "Refunded: $5.00 (re_"
        )
        assert await owner.evaluate("window.__samePage === true"), "the refund reloaded the page"
        assert await csp_violations(owner) == []

    await buyer.goto(live_server.url + "/")
    mine = buyer.locator(f'#orders [data-order-id="{paid}"]')
    await expect(mine).to_have_attribute("data-status", "partially_refunded")
    await expect(mine).to_contain_text("refunded $5.00")
    await expect(buyer.locator(f'#orders [data-order-id="{flagged}"]')).to_have_attribute(
        "data-status", "needs_review"
    )
    assert await csp_violations(buyer) == []


# ---------------------------------------------------------------- by keyboard


async def focus_ring(page: Page) -> None:
    ring = await page.evaluate(FOCUS_RING)
    assert ring["visible"], f"no visible focus on {ring['what']}"
    assert ring["contrast"] >= 3, f"focus ring at {ring['contrast']:.2f}:1 on {ring['what']}"


async def tab_to(page: Page, selector: str, *, backwards: bool = False, limit: int = 80) -> None:
    """Press Tab (or Shift+Tab) until `selector` has the focus, and check its ring shows."""
    key = "Shift+Tab" if backwards else "Tab"
    for _ in range(limit):
        await page.keyboard.press(key)
        if await page.evaluate("s => document.activeElement.matches(s)", selector):
            await focus_ring(page)
            return
    raise AssertionError(f"{limit} presses of {key} never reached {selector}")


async def test_the_whole_owner_flow_by_keyboard(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    flagged = await flagged_order(page, live_server)
    paid = await paid_order(page, live_server, TWO_PRODUCTS)

    async with another_browser(browser) as owner:
        keys = owner.keyboard
        await owner.goto(live_server.url + "/owner/login")
        await expect(owner.locator("#username")).to_be_focused()  # autofocus
        await keys.type(OWNER_NAME)
        await tab_to(owner, "#password")
        await keys.type(OWNER_PASSWORD)
        await tab_to(owner, ".owner-login button[type=submit]")
        await keys.press("Enter")
        await owner.wait_for_url("**/owner/")

        await tab_to(owner, '#owner-nav a[href="/owner/orders"]')
        await keys.press("Enter")
        await owner.wait_for_url("**/owner/orders")
        await tab_to(owner, "#status")  # the filter is reachable
        await tab_to(owner, f'#owner-orders a[href="/owner/orders/{paid}"]')
        await keys.press("Enter")
        await owner.wait_for_url(f"**/owner/orders/{paid}")

        await tab_to(owner, "#amount")
        await keys.press("ControlOrMeta+A")
        await keys.type("1000")  # more than was paid: Enter in the field submits the form
        await keys.press("Enter")
        amount = owner.locator("#amount")
        await expect(owner.locator("#amount-error")).to_have_text("At most $65.99 can be refunded.")
        await expect(amount).to_be_focused()  # back on the field its error describes
        await expect(amount).to_have_attribute("aria-invalid", "true")
        await expect(amount).to_have_value("1000")
        await focus_ring(owner)

        await keys.press("ControlOrMeta+A")
        await keys.type("5.00")
        await keys.press("Enter")  # one keystroke asks to confirm; it refunds nothing
        await expect(owner.locator("#refund-check")).to_be_focused()
        await expect(panel(owner)).to_have_attribute("data-refunded-cents", "0")
        await tab_to(owner, "#refund-form button[type=submit]")
        await expect(owner.locator("#refund-form button[type=submit]")).to_have_text("Refund $5.00")
        await keys.press("Enter")
        await expect(panel(owner)).to_have_attribute("data-refunded-cents", "500")
        await expect(panel(owner)).to_have_attribute("data-status", "partially_refunded")
        await expect(owner.locator("#owner-order .notice")).to_be_focused()  # not <body>
        await keys.press("Tab")  # and the next Tab goes on from there, not from the top
        assert await owner.evaluate("document.activeElement.closest('#owner-order') !== null")

        await tab_to(owner, '#owner-nav a[href="/owner/"]', backwards=True)
        await keys.press("Enter")
        await owner.wait_for_url("**/owner/")
        await tab_to(owner, f'#review-queue a[href="/owner/orders/{flagged}"]')
        await keys.press("Enter")
        await owner.wait_for_url(f"**/owner/orders/{flagged}")

        await tab_to(owner, "#note")
        await keys.type("Price edited mid-checkout; the buyer paid the shelf price.")
        await tab_to(owner, "#accept-form button[type=submit]")
        await keys.press("Enter")
        await expect(panel(owner)).to_have_attribute("data-status", "paid")
        await expect(owner.locator("#owner-order .notice")).to_have_text(
            "Accepted: the order is paid."
        )
        await expect(owner.locator("#owner-order .notice")).to_be_focused()
        await expect(owner.locator('.timeline [data-kind="owner"]')).to_contain_text(
            "the buyer paid the shelf price"
        )

        await tab_to(owner, "#owner-nav button", backwards=True)
        await keys.press("Enter")
        await owner.wait_for_url("**/owner/login")
        await expect(owner.locator("#username")).to_be_focused()
        assert await csp_violations(owner) == []

    assert await Order.select(Order.status).where(Order.id == flagged).first() == {"status": "paid"}


# ---------------------------------------------------------------- on a phone


async def fits_the_phone(page: Page) -> None:
    sizes = await page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert await page.evaluate(NO_SIDEWAYS_SCROLL), f"{page.url} scrolls sideways: {sizes}"


async def big_enough(page: Page, selector: str) -> None:
    button = page.locator(selector)
    await expect(button).to_be_visible()
    await button.scroll_into_view_if_needed()
    box = await button.bounding_box()
    assert box is not None
    assert box["height"] >= 44 and box["width"] >= 44, f"{selector} is {box}"
    assert box["x"] >= 0 and box["x"] + box["width"] <= 375, f"{selector} is off screen: {box}"


async def test_the_owner_pages_fit_a_phone(
    page: Page, browser: Browser, live_server: LiveServer, owner_account: int
) -> None:
    flagged = await flagged_order(page, live_server)
    paid = await paid_order(page, live_server, TWO_PRODUCTS)

    async with another_browser(browser, viewport={"width": 375, "height": 740}) as phone:
        await phone.goto(live_server.url + "/owner/login")
        await fits_the_phone(phone)
        await big_enough(phone, ".owner-login button[type=submit]")
        await sign_in(phone, live_server)
        await fits_the_phone(phone)

        await phone.goto(live_server.url + "/owner/orders")
        await expect(phone.locator(f'tr[data-order-id="{paid}"]')).to_be_visible()
        await fits_the_phone(phone)
        await big_enough(phone, ".filter-form button[type=submit]")

        await open_order(phone, "#owner-orders", paid)
        await fits_the_phone(phone)
        await big_enough(phone, "#refund-form button[type=submit]")
        await phone.locator("#amount").fill("5.00")
        await phone.locator("#refund-form button[type=submit]").click()
        await expect(phone.locator("#refund-check")).to_be_visible()
        await big_enough(phone, "#refund-form button[type=submit]")
        await phone.get_by_role("button", name="Refund $5.00").click()
        await expect(panel(phone)).to_have_attribute("data-refunded-cents", "500")
        await fits_the_phone(phone)

        await phone.goto(f"{live_server.url}/owner/orders/{flagged}")
        await fits_the_phone(phone)
        await big_enough(phone, "#accept-form button[type=submit]")
        note = await phone.locator("#note").bounding_box()
        assert note is not None and note["x"] + note["width"] <= 375, note
        assert await csp_violations(phone) == []


# ---------------------------------------------------------------- without JavaScript


async def test_a_refund_without_javascript(
    page: Page, page_without_js: Page, live_server: LiveServer, owner_account: int
) -> None:
    paid = await paid_order(page, live_server, TWO_PRODUCTS)
    owner = page_without_js
    await sign_in(owner, live_server)
    await owner.goto(f"{live_server.url}/owner/orders")
    await open_order(owner, "#owner-orders", paid)
    await owner.locator("#amount").fill("5.00")
    await owner.get_by_role("button", name="Review refund").click()
    await expect(owner.locator("#refund-check")).to_contain_text("Refund $5.00")
    async with owner.expect_response(lambda r: r.request.method == "POST") as posted:
        await owner.get_by_role("button", name="Refund $5.00").click()
    response = await posted.value
    assert response.status == 303, response.status
    assert response.headers["location"] == f"/owner/orders/{paid}"
    await owner.wait_for_url(f"**/owner/orders/{paid}")
    await expect(panel(owner)).to_have_attribute("data-refunded-cents", "500")
    await expect(panel(owner)).to_have_attribute("data-status", "partially_refunded")
    await expect(owner.locator(".order-facts")).to_contain_text("$5.00")
    await expect(owner.locator("#amount")).to_have_value("")
    # Reloading the page the redirect landed on shows the order; it refunds nothing again.
    await owner.reload()
    await expect(panel(owner)).to_have_attribute("data-refunded-cents", "500")
    await sign_out(owner)
    await owner.goto(f"{live_server.url}/owner/orders/{paid}")
    await owner.wait_for_url("**/owner/login")


# ---------------------------------------------------------------- signed out


@pytest.mark.parametrize("path", ["/owner/", "/owner/orders", "/owner/orders/1"])
async def test_signed_out_the_owner_pages_ask_for_sign_in(
    page: Page, live_server: LiveServer, path: str
) -> None:
    response = await page.goto(live_server.url + path)
    assert response is not None
    await page.wait_for_url("**/owner/login")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("#owner-nav")).to_have_count(0)


async def test_after_sign_out_back_shows_no_owner_data(
    page: Page, live_server: LiveServer, owner_account: int
) -> None:
    order_id = await buy(page, live_server, BEANS)  # an order to see: awaiting payment
    await sign_in(page, live_server)
    await page.locator("#owner-nav").get_by_role("link", name="Orders").click()
    await page.wait_for_url("**/owner/orders")
    await expect(page.locator(f'tr[data-order-id="{order_id}"]')).to_be_visible()
    listing = await page.request.get(live_server.url + "/owner/orders")
    assert listing.headers["cache-control"] == "no-store"

    await sign_out(page)
    await page.go_back()
    await page.wait_for_url("**/owner/login")
    await expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    await expect(page.locator("tr[data-order-id]")).to_have_count(0)
    await page.reload()
    await page.wait_for_url("**/owner/login")
    await expect(page.locator("#owner-nav")).to_have_count(0)


async def test_a_tab_left_open_after_sign_out_asks_for_sign_in(
    page: Page, live_server: LiveServer, owner_account: int
) -> None:
    await sign_in(page, live_server)
    stale = await page.context.new_page()  # the same browser, another tab, on the orders list
    await stale.goto(live_server.url + "/owner/orders")
    await stale.wait_for_function("window.htmx !== undefined")
    await sign_out(page)

    await stale.locator("#status").select_option("paid")
    await stale.get_by_role("button", name="Show").click()  # htmx: answered with HX-Redirect
    await stale.wait_for_url("**/owner/login")
    await expect(stale.get_by_role("heading", name="Sign in")).to_be_visible()
    assert await csp_violations(stale) == []
