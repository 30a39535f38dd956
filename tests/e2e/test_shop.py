"""The shop in Chromium: steppers, typing, bad input and the same without JavaScript."""

from __future__ import annotations

import asyncio

from playwright.async_api import Page, Route, expect

from tests.support.browser import csp_violations
from tests.support.http import LiveServer

MUG = "Stoneware mug"


async def mark_document(page: Page) -> None:
    """A flag on the current document: it survives swaps and is gone after a page load."""
    await page.evaluate("window.__samePage = true")


async def still_same_document(page: Page) -> bool:
    return bool(await page.evaluate("window.__samePage === true"))


async def open_shop(page: Page, live_server: LiveServer) -> None:
    await page.goto(live_server.url + "/")
    await page.wait_for_function("window.htmx !== undefined")


async def test_steppers_and_typing_update_the_total_in_place(
    page: Page, live_server: LiveServer
) -> None:
    await open_shop(page, live_server)
    await mark_document(page)
    total = page.locator("#cart-total")
    buy = page.get_by_role("button", name="Buy")
    await expect(buy).to_be_disabled()

    items, shipping = page.locator("#cart-items"), page.locator("#cart-shipping")
    await expect(shipping).to_have_attribute("data-shipping-cents", "0")  # nothing to send yet
    plus = page.get_by_role("button", name=f"One more: {MUG}")
    await plus.click()
    await expect(total).to_have_attribute("data-total-cents", "2290")  # $18.00 + $4.90
    await plus.click()
    await expect(total).to_have_attribute("data-total-cents", "4090")
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("2")
    await expect(items).to_have_text("$36.00")
    await expect(shipping).to_have_text("$4.90")
    await expect(total).to_have_text("$40.90")
    await expect(buy).to_be_enabled()

    await page.get_by_role("button", name=f"One fewer: {MUG}").click()
    await expect(total).to_have_attribute("data-total-cents", "2290")

    beans = page.get_by_label("Quantity of House blend beans, 250 g")
    await beans.fill("3")
    # $18.00 + 3 x $14.50 = $61.50 of products: over $40.00, so shipping is free.
    await expect(total).to_have_attribute("data-total-cents", str(1800 + 3 * 1450))
    await expect(shipping).to_have_attribute("data-shipping-cents", "0")
    beans_subtotal = page.locator('[data-sku="beans-250"] [data-subtotal-cents]')
    await expect(beans_subtotal).to_have_text("$43.50")
    await expect(beans).to_be_focused()

    assert await still_same_document(page)
    assert await csp_violations(page) == []


async def test_a_bad_quantity_shows_its_message_and_keeps_the_rest(
    page: Page, live_server: LiveServer
) -> None:
    await open_shop(page, live_server)
    await page.get_by_role("button", name=f"One more: {MUG}").click()
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")

    dripper = page.get_by_label("Quantity of Pour-over dripper")
    await dripper.fill("2.5")
    error = page.locator("#qty-dripper-v60-error")
    await expect(error).to_have_text("Enter a whole number from 0 to 99.")
    await expect(dripper).to_have_attribute("aria-invalid", "true")
    await expect(dripper).to_have_value("2.5")
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("1")
    await expect(page.get_by_role("button", name="Buy")).to_be_disabled()

    await dripper.fill("100")
    await expect(error).to_have_text("At most 99 of each product per order.")
    await dripper.fill("2")
    await expect(error).to_have_count(0)
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "7798")
    assert await csp_violations(page) == []


async def test_the_page_works_by_keyboard_alone(page: Page, live_server: LiveServer) -> None:
    await open_shop(page, live_server)
    await mark_document(page)
    plus = page.get_by_role("button", name=f"One more: {MUG}")
    await plus.focus()
    await page.keyboard.press("Enter")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")
    await page.keyboard.press("Space")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "4090")

    # Enter in a quantity field updates the total; it must not press the first minus button.
    beans = page.get_by_label("Quantity of House blend beans, 250 g")
    await beans.focus()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("1")
    await page.keyboard.press("Enter")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "5050")
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("2")
    assert await still_same_document(page)


async def test_the_total_is_announced_and_a_busy_indicator_shows_while_waiting(
    page: Page, live_server: LiveServer
) -> None:
    await open_shop(page, live_server)
    # Products, shipping and total are read out together whenever one of them changes.
    announced = page.locator(".totals")
    await expect(announced).to_have_attribute("aria-live", "polite")
    await expect(announced).to_have_attribute("aria-atomic", "true")
    for figure in ("#cart-items", "#cart-shipping", "#cart-total"):
        await expect(announced.locator(figure)).to_have_count(1)
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/cart", hold)
    await page.get_by_role("button", name=f"One more: {MUG}").click()
    indicator = page.locator("#cart .htmx-indicator")
    await expect(indicator).to_have_css("opacity", "1")
    release.set()
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")
    await expect(indicator).to_have_css("opacity", "0")


async def test_without_javascript_the_same_form_works(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    await page.goto(live_server.url + "/")
    await page.get_by_role("button", name=f"One more: {MUG}").click()
    await page.wait_for_url("**/?qty-mug-350=1")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")
    await expect(page.locator("#cart-shipping")).to_have_attribute("data-shipping-cents", "490")

    await page.get_by_label("Quantity of Pour-over dripper").fill("2")
    await page.get_by_role("button", name="Update total").click()
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "7798")

    await page.get_by_label("Quantity of Pour-over dripper").fill("٣")
    await page.get_by_role("button", name="Update total").click()
    await expect(page.locator("#qty-dripper-v60-error")).to_have_text(
        "Enter a whole number from 0 to 99."
    )
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("1")
