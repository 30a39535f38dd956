"""The purchase in Chromium, as `make run` serves it: shop, Stripe's hosted page, and back."""

from __future__ import annotations

import asyncio
import re

from playwright.async_api import Page, Route, expect

from app.orders.tables import Order
from tests.support.browser import GOOD_CARD, MUG, csp_violations, fill_card
from tests.support.http import LiveServer


async def choose_two_mugs(page: Page, live_server: LiveServer) -> None:
    """Two mugs: $36.00 of products, under the free-shipping line, so $4.90 to post."""
    await page.goto(live_server.url + "/")
    plus = page.get_by_role("button", name=f"One more: {MUG}")
    await plus.click()
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")
    await plus.click()
    await expect(page.locator("#cart-items")).to_have_attribute("data-items-cents", "3600")
    await expect(page.locator("#cart-shipping")).to_have_attribute("data-shipping-cents", "490")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "4090")


async def test_the_whole_purchase(page: Page, live_server: LiveServer) -> None:
    await choose_two_mugs(page, live_server)
    buy = page.get_by_role("button", name="Buy")
    release = asyncio.Event()

    async def hold(route: Route) -> None:
        await release.wait()
        await route.continue_()

    await page.route("**/checkout", hold)
    await buy.click()
    await expect(buy).to_be_disabled()  # while the order and its session are being made
    release.set()
    await page.wait_for_url("**/stripe-sandbox/pay/cs_test_*")
    await expect(page.get_by_text("TEST MODE")).to_be_visible()
    await expect(page.locator("#order-subtotal")).to_have_text("$36.00")
    await expect(page.locator("#order-shipping")).to_have_attribute("data-amount", "490")
    await expect(page.locator("#order-shipping")).to_have_text("$4.90")
    await expect(page.locator("#order-total")).to_have_attribute("data-amount", "4090")
    await expect(page.get_by_role("heading", name="Pay $40.90")).to_be_visible()

    await fill_card(page, GOOD_CARD)
    await page.wait_for_url("**/checkout/success?session_id=cs_test_*")
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    order = page.locator("#orders [data-order-id]").first
    await expect(order).to_have_attribute("data-status", "paid")
    await expect(order).to_contain_text("2 \u00d7 Stoneware mug")
    await expect(order.locator(".shipping-line")).to_have_attribute("data-shipping-cents", "490")
    await expect(order.locator(".order-total strong")).to_have_text("$40.90")
    assert await csp_violations(page) == []


async def test_my_orders_turns_paid_without_a_reload(page: Page, live_server: LiveServer) -> None:
    await choose_two_mugs(page, live_server)
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/**")

    shop = await page.context.new_page()  # the same browser, another tab, on the shop
    await shop.goto(live_server.url + "/")
    await shop.evaluate("window.__samePage = true")
    listed = shop.locator("#orders [data-order-id]").first
    await expect(listed).to_have_attribute("data-status", "pending")

    await fill_card(page, GOOD_CARD)
    await page.wait_for_url("**/checkout/success**")
    await expect(listed).to_have_attribute("data-status", "paid", timeout=15_000)
    assert await shop.evaluate("window.__samePage === true")
    await expect(shop.locator("#orders")).not_to_have_attribute("hx-trigger", re.compile("."))


async def test_a_declined_card_then_a_good_one(page: Page, live_server: LiveServer) -> None:
    await choose_two_mugs(page, live_server)
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/**")
    await fill_card(page, "4000 0000 0000 0002")
    await expect(page.get_by_text(re.compile("declined", re.I)).first).to_be_visible()
    assert "/checkout/success" not in page.url

    await fill_card(page, GOOD_CARD)
    await page.wait_for_url("**/checkout/success**")
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()


async def test_cancel_and_come_back_to_the_same_cart(page: Page, live_server: LiveServer) -> None:
    await choose_two_mugs(page, live_server)
    await page.get_by_label("Quantity of Pour-over dripper").fill("1")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "6599")
    await expect(page.locator("#cart-shipping")).to_have_attribute("data-shipping-cents", "0")
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/**")

    await page.get_by_role("link", name=re.compile("Back")).click()
    await page.wait_for_url("**/checkout/cancel?session_id=**")
    await expect(page.get_by_text("Payment canceled: nothing was charged.")).to_be_visible()
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_have_value("2")
    await expect(page.get_by_label("Quantity of Pour-over dripper")).to_have_value("1")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "6599")
    await expect(page.locator("#orders [data-order-id]").first).to_have_attribute(
        "data-status", "canceled"
    )

    await page.get_by_role("button", name="Buy").click()  # and buy after all
    await page.wait_for_url("**/stripe-sandbox/pay/**")
    await fill_card(page, GOOD_CARD)
    await page.wait_for_url("**/checkout/success**")
    assert sorted(row["status"] for row in await Order.select(Order.status)) == [
        "canceled",
        "paid",
    ]


async def test_a_double_click_on_buy_makes_one_order(page: Page, live_server: LiveServer) -> None:
    await choose_two_mugs(page, live_server)
    await page.get_by_role("button", name="Buy").dblclick()
    await page.wait_for_url("**/stripe-sandbox/pay/**")
    assert await Order.count() == 1


async def test_the_whole_purchase_without_javascript(
    page_without_js: Page, live_server: LiveServer
) -> None:
    page = page_without_js
    await page.goto(live_server.url + "/")
    await page.get_by_role("button", name=f"One more: {MUG}").click()
    await page.wait_for_url("**/?qty-mug-350=1")
    await expect(page.locator("#cart-total")).to_have_attribute("data-total-cents", "2290")
    await page.get_by_role("button", name="Buy").click()
    await page.wait_for_url("**/stripe-sandbox/pay/cs_test_*")
    await expect(page.locator("#order-total")).to_have_attribute("data-amount", "2290")
    await fill_card(page, GOOD_CARD)
    await page.wait_for_url("**/checkout/success**")
    await expect(page.get_by_role("heading", name="Thank you: payment received")).to_be_visible()
    await expect(page.locator("#orders [data-order-id]").first).to_have_attribute(
        "data-status", "paid"
    )
