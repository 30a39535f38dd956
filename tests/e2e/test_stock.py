"""Stock in Chromium: sold out and "only N left" on the shop; the products page by keyboard."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from playwright.async_api import Page, expect

from app.catalog.service import DISPLAY_TTL_SECONDS
from app.catalog.tables import Product
from tests.support.browser import csp_violations, sign_in
from tests.support.http import LiveServer

MUG, BEANS = "Stoneware mug", "House blend beans, 250 g"


async def set_stock(sku: str, on_hand: int | None) -> None:
    await Product.update({Product.on_hand: on_hand}).where(Product.sku == sku)


@pytest.fixture(autouse=True)
async def shop_forgets_the_stock() -> AsyncIterator[None]:
    """The live server shows products cached for DISPLAY_TTL_SECONDS: let the counts these tests
    set age out, so the next test's shop (the catalogue reseeded, made to order) is as seeded."""
    yield
    await asyncio.sleep(DISPLAY_TTL_SECONDS + 0.2)


async def repeated_ids(page: Page) -> list[str]:
    found: list[str] = await page.evaluate(
        """() => {
            const ids = [...document.querySelectorAll('[id]')].map(e => e.id);
            return ids.filter((id, i) => ids.indexOf(id) !== i);
        }"""
    )
    return found


async def test_the_shop_shows_sold_out_and_only_n_left(page: Page, live_server: LiveServer) -> None:
    await set_stock("mug-350", 0)
    await set_stock("beans-250", 2)
    await asyncio.sleep(DISPLAY_TTL_SECONDS + 0.2)  # the server's display cache may be that old
    await page.goto(live_server.url + "/")
    await page.wait_for_function("window.htmx !== undefined")

    mug = page.locator('[data-sku="mug-350"]')
    await expect(mug.locator(".stock")).to_have_text("Sold out")
    await expect(page.get_by_label(f"Quantity of {MUG}")).to_be_disabled()
    await expect(page.get_by_role("button", name=f"One more: {MUG}")).to_be_disabled()
    await expect(page.get_by_role("button", name=f"One fewer: {MUG}")).to_be_disabled()

    beans = page.locator('[data-sku="beans-250"]')
    await expect(beans.locator(".stock")).to_have_text("Only 2 left")
    plus = page.get_by_role("button", name=f"One more: {BEANS}")
    await plus.click()
    await expect(page.get_by_label(f"Quantity of {BEANS}")).to_have_value("1")
    await plus.click()
    await expect(page.get_by_label(f"Quantity of {BEANS}")).to_have_value("2")
    await expect(plus).to_be_disabled()  # the maximum is what is left

    await page.get_by_label(f"Quantity of {BEANS}").fill("3")
    await expect(beans.locator(".field-error")).to_have_text("Only 2 left.")
    await expect(page.get_by_role("button", name="Buy")).to_be_disabled()
    assert await repeated_ids(page) == []
    assert await csp_violations(page) == []


async def test_the_owner_sets_stock_on_the_products_page_by_keyboard(
    page: Page, live_server: LiveServer, owner_account: int
) -> None:
    await sign_in(page, live_server)
    await page.goto(live_server.url + "/owner/products")
    await page.wait_for_function("window.htmx !== undefined")

    on_hand = page.locator("#on_hand-mug-350")
    await on_hand.focus()
    await page.keyboard.type("-4")
    await page.keyboard.press("Enter")
    error = page.locator("#on_hand-mug-350-error")
    await expect(error).to_have_text("Enter a whole number of items, like 12 (digits only).")
    await expect(page.locator("#on_hand-mug-350")).to_have_attribute("aria-invalid", "true")
    await expect(page.locator("#on_hand-mug-350")).to_have_value("-4")  # kept as typed

    await page.locator("#on_hand-mug-350").focus()
    await page.keyboard.press("Control+A")
    await page.keyboard.type("4")
    await page.keyboard.press("Tab")  # on to "Restock: add", then save with the keyboard
    await expect(page.locator("#add-mug-350")).to_be_focused()
    await page.keyboard.press("Tab")
    await page.keyboard.press("Tab")
    await expect(page.locator("#save-mug-350")).to_be_focused()
    await page.keyboard.press("Enter")
    await expect(page.locator("#owner-products .notice")).to_have_text(
        "Stoneware mug: on hand made to order -> 4"
    )
    await expect(page.locator("#on_hand-mug-350")).to_have_value("4")
    row = await Product.select(Product.on_hand).where(Product.sku == "mug-350").first()
    assert row == {"on_hand": 4}
    assert await repeated_ids(page) == []
    assert await csp_violations(page) == []
