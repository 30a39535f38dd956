"""/owner/products: price, on hand (restock or correct), on sale; bad values refused."""

from __future__ import annotations

import asyncio

import pytest

from app.audit.tables import AuditEntry
from app.catalog.tables import Product
from tests.orders.test_stock import set_stock, stock
from tests.support.checkout import Shopper, order_rows
from tests.support.owner import FORM_TOKEN, OwnerBrowser, beside, paid_order


def form(price: str = "18.00", on_hand: str = "", add: str = "", **extra: str) -> dict[str, str]:
    # What the mug's form carries as rendered (made to order at $18.00), with these typed in.
    return {
        "price": price,
        "on_hand": on_hand,
        "add": add,
        "price_was": "1800",
        "on_hand_was": "",
        "on_sale": "on",
        **extra,
    }


async def audit_details() -> list[tuple[str, str]]:
    rows = await AuditEntry.select(AuditEntry.action, AuditEntry.detail).order_by(AuditEntry.id)
    return [
        (row["action"], row["detail"])
        for row in rows
        if row["action"] not in ("signed_in", "owner_added")
    ]


async def test_the_page_lists_every_product_with_its_form(owner: OwnerBrowser) -> None:
    page = await owner.page("/owner/products")
    assert page.status_code == 200
    for sku in ("beans-250", "mug-350", "dripper-v60"):
        assert f'id="product-{sku}"' in page.text and f'id="on_hand-{sku}"' in page.text
    assert page.headers["cache-control"] == "no-store"


async def test_a_buyer_gets_no_products_page(shopper: Shopper) -> None:
    page = await shopper.http.get("/owner/products", follow_redirects=False)
    assert page.status_code in (302, 303, 401)
    refused = await shopper.http.post("/owner/products/mug-350", data=form(price="0.01"))
    assert refused.status_code in (302, 303, 401, 403)
    assert (await Product.select(Product.price_cents).where(Product.sku == "mug-350"))[0] == {
        "price_cents": 1800
    }


async def test_setting_then_restocking_is_audited_with_before_and_after(
    owner: OwnerBrowser,
) -> None:
    await owner.page("/owner/products")
    done = await owner.post("/owner/products/mug-350", form(on_hand="3"))
    assert done.status_code == 303
    assert await stock() == (3, 0)
    done = await owner.post("/owner/products/mug-350", form(on_hand="3", add="5", on_hand_was="3"))
    assert done.status_code == 303
    assert await stock() == (8, 0)
    done = await owner.post(
        "/owner/products/mug-350", form(price="19.50", on_hand="8", on_hand_was="8")
    )
    assert done.status_code == 303
    assert await audit_details() == [
        ("stock_corrected", "Stoneware mug: on hand made to order -> 3"),
        ("restocked", "Stoneware mug: restocked +5, on hand 3 -> 8"),
        ("price_changed", "Stoneware mug: price $18.00 -> $19.50"),
    ]
    shop = (await owner.http.get("/")).text
    assert "$19.50" in shop


@pytest.mark.parametrize(
    ("field", "typed", "message"),
    [
        ("on_hand", "-3", "Enter a whole number of items, like 12 (digits only)."),
        ("on_hand", "1000000000000", "At most 1,000,000 items."),
        ("on_hand", "2.5", "Enter a whole number of items, like 12 (digits only)."),
        ("on_hand", "١٢", "Enter a whole number of items, like 12 (digits only)."),
        ("add", "-1", "Enter a whole number of items, like 12 (digits only)."),
        ("price", "-1", "Enter an amount like 12.50, with at most 2 decimals."),
        ("price", "1000000000000", "Enter an amount like 12.50, with at most 2 decimals."),
        ("price", "12.505", "Enter an amount like 12.50, with at most 2 decimals."),
        ("price", "١٢", "Enter an amount like 12.50, with at most 2 decimals."),
        ("price", "0", "A price is above 0 and at most $1,000,000.00."),
    ],
)
async def test_bad_values_are_refused_beside_the_field(
    owner: OwnerBrowser, field: str, typed: str, message: str
) -> None:
    await owner.page("/owner/products")
    answer = await owner.post("/owner/products/mug-350", form(**{field: typed}))
    assert answer.status_code == 422
    assert beside(answer.text, f"{field}-mug-350-error") == message
    assert f'id="{field}-mug-350" name="{field}" value="{typed}"' in answer.text
    assert await stock() == (None, 0)
    assert (await Product.select(Product.price_cents).where(Product.sku == "mug-350"))[0] == {
        "price_cents": 1800
    }
    assert await audit_details() == []


async def test_a_correction_from_a_stale_page_or_below_the_holds_is_refused(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    await set_stock(5)
    await shopper.start_checkout({"mug-350": "3"})  # a Buy holds 3 meanwhile
    await owner.page("/owner/products")
    below = await owner.post("/owner/products/mug-350", form(on_hand="2", on_hand_was="5"))
    assert below.status_code == 409
    assert (
        beside(below.text, "on_hand-mug-350-error")
        == "Open checkouts hold 3: set at least that many."
    )
    stale = await owner.post("/owner/products/mug-350", form(on_hand="9", on_hand_was="4"))
    assert stale.status_code == 409
    assert "Stock changed meanwhile: 5 on hand, 3 held." in stale.text
    assert await stock() == (5, 3)
    # Restocking adds to whatever is there now, so it never races a Buy away.
    added = await owner.post("/owner/products/mug-350", form(add="2", on_hand="5", on_hand_was="4"))
    assert added.status_code == 303
    assert await stock() == (7, 3)


async def test_a_product_taken_off_sale_leaves_the_shop(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    await owner.page("/owner/products")
    fields = form()
    del fields["on_sale"]
    assert (await owner.post("/owner/products/mug-350", fields)).status_code == 303
    assert "Stoneware mug" not in (await shopper.open_shop()).text
    response = await shopper.buy({"mug-350": "1"})
    assert response.status_code == 422
    assert await order_rows() == []


async def test_the_dashboard_lists_low_stock(owner: OwnerBrowser) -> None:
    await set_stock(2)
    await set_stock(0, "beans-250")
    board = (await owner.page("/owner/")).text
    assert "Stoneware mug: 2 left (2 on hand, 0 held)" in board
    assert "House blend beans, 250 g: sold out (0 on hand, 0 held)" in board
    assert "Pour-over dripper" not in board.split('id="low-stock"', 1)[1].split("</section>")[0]


async def test_a_correction_racing_a_buy_never_leaves_more_held_than_on_hand(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    await set_stock(5)
    await owner.page("/owner/products")
    await shopper.open_shop()
    bought, corrected = await asyncio.gather(
        shopper.buy({"mug-350": "3"}),
        owner.post("/owner/products/mug-350", form(on_hand="2", on_hand_was="5")),
    )
    # Whichever committed first, the other was refused: never 2 on hand with 3 held.
    if bought.status_code == 200:
        assert corrected.status_code == 409
        assert await stock() == (5, 3)
    else:
        assert (bought.status_code, corrected.status_code) == (409, 303)
        assert "Only 2 left." in bought.text
        assert await stock() == (2, 0)


async def test_a_restock_racing_a_buy_keeps_both(owner: OwnerBrowser, shopper: Shopper) -> None:
    await set_stock(3)
    await owner.page("/owner/products")
    await shopper.open_shop()
    bought, restocked = await asyncio.gather(
        shopper.buy({"mug-350": "3"}),
        owner.post("/owner/products/mug-350", form(on_hand="3", add="4", on_hand_was="3")),
    )
    assert (bought.status_code, restocked.status_code) == (200, 303)
    assert await stock() == (7, 3)


async def test_a_form_without_a_readable_figure_corrects_nothing(owner: OwnerBrowser) -> None:
    await owner.page("/owner/products")
    answer = await owner.post("/owner/products/mug-350", form(on_hand="4", on_hand_was="x"))
    assert answer.status_code == 409
    assert beside(answer.text, "on_hand-mug-350-error") == "Reload the page and set it again."
    assert await stock() == (None, 0)


async def test_a_refund_restocks_only_when_the_owner_ticks_the_box_and_only_once(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    await set_stock(5)
    plain = await paid_order(shopper, {"mug-350": "2"})
    assert await stock() == (3, 0)
    assert (await owner.refund(plain, "1.00")).status_code == 200
    assert await stock() == (3, 0)  # a refund alone restocks nothing

    restocked = await paid_order(shopper, {"mug-350": "1"})
    assert await stock() == (2, 0)
    for amount in ("5.00", "1.00"):  # a second refund of the same order puts back nothing more
        page = await owner.page(f"/owner/orders/{restocked}")
        token = FORM_TOKEN.search(page.text)
        assert token and 'id="restock" name="restock" type="checkbox"' in page.text
        data = {"amount": amount, "form_token": token.group(1), "restock": "on"}
        answer = await owner.post(f"/owner/orders/{restocked}/refund", data, htmx=True)
        assert answer.status_code == 200, answer.text
    assert await stock() == (3, 0)
    restocks = [entry for entry in await audit_details() if entry[0] == "restocked"]
    assert restocks == [("restocked", "Stoneware mug: on hand 2 -> 3")]
