"""Shipping at Buy: the rate fixed with the order, asked of Stripe, checked at confirmation."""

from __future__ import annotations

import html
import logging
import re
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from app.catalog import service as catalog_service
from app.catalog.service import forget_displayed_products
from app.catalog.shipping import FLAT_RATE_CENTS, FREE_FROM_CENTS
from app.catalog.tables import Product
from app.main import create_app
from app.orders.tables import Order
from app.settings import Settings, SettingsError, load_settings
from tests.catalog.test_cart import items_cents, shipping_cents, total_cents
from tests.support.checkout import (
    Shopper,
    deliver,
    line_rows,
    order_rows,
    pay,
    session_id_of,
    webhook_for,
)
from tests.support.http import HTMX, browser_like, running
from tests.support.owner import OwnerBrowser
from tests.support.stripe_sandbox import (
    Receiver,
    SandboxServer,
    delivery_of,
    make_client,
    submit_card,
)

MUG, BEANS, DRIPPER = 1800, 1450, 2999  # the seeded prices (app/catalog/service.py: CATALOG)
# Typed as a buyer might: HTML and letters from beyond Latin-1, each kept exactly as typed.
TYPED = {
    "shippingName": "Zoë <b>Ünal</b>",
    "shippingAddressLine1": "北京市朝阳区建国路88号",
    "shippingAddressLine2": "<script>alert('x')</script> & \"Flat 3\"",
    "shippingLocality": "Montréal & <i>Laval</i>",
    "shippingAdministrativeArea": "QC",
    "shippingPostalCode": "H2X 1Y4",
    "shippingCountry": "CA",
}
STORED = {
    "ship_name": "Zoë <b>Ünal</b>",
    "ship_line1": "北京市朝阳区建国路88号",
    "ship_line2": "<script>alert('x')</script> & \"Flat 3\"",
    "ship_city": "Montréal & <i>Laval</i>",
    "ship_state": "QC",
    "ship_postal_code": "H2X 1Y4",
    "ship_country": "CA",
}
# The address as a label reads it (app/payments/values.py: ShippingAddress.lines).
LABEL = [
    "Zoë <b>Ünal</b>",
    "北京市朝阳区建国路88号",
    "<script>alert('x')</script> & \"Flat 3\"",
    "Montréal & <i>Laval</i>, QC H2X 1Y4",
    "CA",
]


async def stripe_session(sandbox: SandboxServer, session_id: str) -> Any:
    """The Checkout Session as stripe-python reads it, with its shipping rate expanded."""
    client = make_client(sandbox.url, key=sandbox.api_key)
    return await client.v1.checkout.sessions.retrieve_async(
        session_id, {"expand": ["shipping_options.shipping_rate", "line_items"]}
    )


def figures(row: dict[str, Any]) -> tuple[int, int, int]:
    return row["subtotal_cents"], row["shipping_cents"], row["total_cents"]


def stripes_figures(session: Any) -> tuple[int, int, int]:
    return session.amount_subtotal, session.total_details.amount_shipping, session.amount_total


def the_one_rate(session: Any) -> tuple[str, int, str]:
    """The session's only shipping option: its name, amount and currency."""
    [option] = session.shipping_options
    rate = option.shipping_rate
    assert option.shipping_amount == rate.fixed_amount.amount
    assert session.shipping_cost.shipping_rate == rate.id  # and it is the one chosen
    return rate.display_name, rate.fixed_amount.amount, rate.fixed_amount.currency


async def order_of(session_id: str) -> dict[str, Any]:
    [order] = [row for row in await order_rows() if row["stripe_session_id"] == session_id]
    return order


async def set_price(sku: str, cents: int) -> None:
    await Product.update({Product.price_cents: cents}).where(Product.sku == sku)


# --- what a Buy stores and asks Stripe for -------------------------------------------------------


async def test_a_buy_stores_products_shipping_and_total_from_database_prices(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    # A mug and a bag of beans: 32.50 of products, under 40.00, so the flat 4.90 on top.
    session_id = await shopper.start_checkout({"mug-350": "1", "beans-250": "1"})
    order = await order_of(session_id)
    assert figures(order) == (MUG + BEANS, FLAT_RATE_CENTS, MUG + BEANS + FLAT_RATE_CENTS)
    assert figures(order) == (3250, 490, 3740)
    assert sum(line["unit_price_cents"] * line["quantity"] for line in await line_rows()) == 3250
    assert (order["fulfilment"], order["shipped_at"], order["ship_name"]) == (
        "unfulfilled",
        None,
        None,
    )

    session = await stripe_session(store_sandbox, session_id)
    assert stripes_figures(session) == (3250, 490, 3740)
    assert session.currency == "usd"
    assert sorted(item.amount_total for item in session.line_items.data) == [BEANS, MUG]
    # The store's default countries, and exactly one way to ship: the rate the order has.
    assert session.shipping_address_collection.allowed_countries == ["US", "CA"]
    assert the_one_rate(session) == ("Standard shipping", 490, "usd")
    rate = session.shipping_options[0].shipping_rate
    estimate = rate.delivery_estimate
    assert (rate.type, estimate.minimum.value, estimate.maximum.value) == ("fixed_amount", 2, 5)
    assert session.shipping_cost.amount_total == 490


async def test_free_shipping_is_one_option_that_costs_nothing(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    # Two bags and a dripper: 58.99, over the threshold.
    session_id = await shopper.start_checkout({"beans-250": "2", "dripper-v60": "1"})
    assert figures(await order_of(session_id)) == (5899, 0, 5899)
    session = await stripe_session(store_sandbox, session_id)
    assert stripes_figures(session) == (5899, 0, 5899)
    assert the_one_rate(session) == ("Free shipping", 0, "usd")


@pytest.fixture
async def us_and_uk_store(store_settings: Callable[..., Settings]) -> AsyncIterator[Litestar]:
    """A store that ships to the United States and the United Kingdom only."""
    settings = store_settings(SHIP_TO_COUNTRIES="US,GB")
    assert settings.ship_to_countries == ("US", "GB")
    async with running(create_app(settings)) as app:
        yield app


@pytest.fixture
async def uk_shopper(
    us_and_uk_store: Litestar, store_sandbox: SandboxServer, settings: Settings
) -> AsyncIterator[Shopper]:
    async with browser_like(us_and_uk_store, settings.public_url) as http:
        yield Shopper(http, store_sandbox)


async def test_the_session_ships_to_the_countries_of_the_setting(
    uk_shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    session_id = await uk_shopper.start_checkout({"mug-350": "2"})
    session = await stripe_session(store_sandbox, session_id)
    assert session.shipping_address_collection.allowed_countries == ["US", "GB"]
    assert the_one_rate(session) == ("Standard shipping", 490, "usd")
    assert stripes_figures(session) == (3600, 490, 4090)

    async with httpx.AsyncClient() as buyer:
        page = await buyer.get(session.url)
    select = re.search(r'<select id="shippingCountry"[^>]*>(.*?)</select>', page.text, re.S)
    assert select and sorted(re.findall(r'<option value="([A-Z]{2})"', select.group(1))) == [
        "GB",
        "US",
    ]
    async with httpx.AsyncClient() as buyer:
        paid = await submit_card(
            buyer,
            session.url,
            "4242424242424242",
            address={**TYPED, "shippingCountry": "GB", "shippingPostalCode": "SW1A 1AA"},
        )
    assert paid.status_code == 303, paid.text[:500]
    assert "Thank you: payment received" in (await uk_shopper.success(session_id)).text
    order = await order_of(session_id)
    assert (order["status"], order["ship_country"], order["ship_postal_code"]) == (
        "paid",
        "GB",
        "SW1A 1AA",
    )


@pytest.mark.parametrize(("which", "country"), [("default", "GB"), ("us and uk", "CA")])
async def test_a_country_the_store_does_not_ship_to_is_refused_and_the_order_stays_pending(
    shopper: Shopper,
    uk_shopper: Shopper,
    store_sandbox: SandboxServer,
    which: str,
    country: str,
) -> None:
    buyer = shopper if which == "default" else uk_shopper
    session_id = await buyer.start_checkout({"mug-350": "1"})
    session = await stripe_session(store_sandbox, session_id)
    assert country not in session.shipping_address_collection.allowed_countries

    async with httpx.AsyncClient() as browser:
        refused = await submit_card(
            browser, session.url, "4242424242424242", address={"shippingCountry": country}
        )
    assert refused.status_code == 422
    error = re.search(
        r'<p class="field-error" id="shippingCountry-error">([^<]+)</p>', refused.text
    )
    assert error and html.unescape(error.group(1)) == (
        "We can't ship to that country: choose one from the list."
    )

    page = await buyer.success(session_id)
    assert "Waiting for the payment" in page.text
    order = await order_of(session_id)
    assert (order["status"], order["paid_cents"], order["ship_country"]) == ("pending", None, None)
    again = await stripe_session(store_sandbox, session_id)
    assert (again.status, again.payment_status) == ("open", "unpaid")
    assert await delivery_of(store_sandbox, session_id) is None  # no completed event at all


# --- the threshold and the moment the rate is fixed ----------------------------------------------


@pytest.mark.parametrize(
    ("price", "shipping"),
    [
        (FREE_FROM_CENTS - 1, FLAT_RATE_CENTS),  # 39.99: a cent short of free
        (FREE_FROM_CENTS, 0),  # 40.00: free
        (FREE_FROM_CENTS + 1, 0),
    ],
)
async def test_the_threshold_is_crossed_at_buy_by_one_cent_either_way(
    shopper: Shopper, store_sandbox: SandboxServer, price: int, shipping: int
) -> None:
    await shopper.open_shop()
    shown = await shopper.http.post(
        "/cart", data={"_csrf_token": shopper.csrf, "qty-mug-350": "1"}, headers=HTMX
    )
    # The cart was shown at the old price, so with shipping; the Buy reads the price anew.
    assert (items_cents(shown.text), shipping_cents(shown.text)) == (MUG, FLAT_RATE_CENTS)
    await set_price("mug-350", price)
    response = await shopper.buy({"mug-350": "1"})
    assert response.status_code == 200, response.text
    session_id = session_id_of(response.headers["hx-redirect"])

    assert figures(await order_of(session_id)) == (price, shipping, price + shipping)
    session = await stripe_session(store_sandbox, session_id)
    assert stripes_figures(session) == (price, shipping, price + shipping)
    name = "Free shipping" if shipping == 0 else "Standard shipping"
    assert the_one_rate(session) == (name, shipping, "usd")


async def test_threshold_from_several_products_adds_them_up(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    # 2 x 12.75 + 14.50 = 40.00 exactly; one cent less on the mug is 39.98 and shipping.
    await set_price("mug-350", 1275)
    free = await shopper.start_checkout({"mug-350": "2", "beans-250": "1"})
    assert figures(await order_of(free)) == (4000, 0, 4000)
    await set_price("mug-350", 1274)
    charged = await shopper.start_checkout({"mug-350": "2", "beans-250": "1"})
    assert figures(await order_of(charged)) == (3998, 490, 4488)
    assert stripes_figures(await stripe_session(store_sandbox, charged)) == (3998, 490, 4488)


@pytest.mark.parametrize(
    ("in_cart", "at_buy", "expected"),
    [
        ("2", "3", (5400, 0, 5400)),  # shown with shipping, bought over the threshold
        ("3", "2", (3600, 490, 4090)),  # shown free, bought under it
    ],
)
async def test_quantities_changed_after_the_cart_was_shown_get_the_rate_of_what_is_bought(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    in_cart: str,
    at_buy: str,
    expected: tuple[int, int, int],
) -> None:
    await shopper.open_shop()
    shown = await shopper.http.post(
        "/cart", data={"_csrf_token": shopper.csrf, "qty-mug-350": in_cart}, headers=HTMX
    )
    shown_items = int(in_cart) * MUG
    shown_shipping = 0 if shown_items >= FREE_FROM_CENTS else FLAT_RATE_CENTS
    assert (items_cents(shown.text), shipping_cents(shown.text)) == (shown_items, shown_shipping)
    assert total_cents(shown.text) == shown_items + shown_shipping

    # The form still carries the token of the page it came from; only the quantity changed.
    response = await shopper.buy({"mug-350": at_buy})
    session_id = session_id_of(response.headers["hx-redirect"])
    assert figures(await order_of(session_id)) == expected
    assert stripes_figures(await stripe_session(store_sandbox, session_id)) == expected


async def test_a_price_change_the_cart_does_not_show_yet_still_gets_the_new_rate(
    shopper: Shopper, store_sandbox: SandboxServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The cart's product cache may be a moment old; the order's transaction never is."""
    monkeypatch.setattr(catalog_service, "_clock", lambda: 1000.0)  # the cache never lapses
    forget_displayed_products()
    await shopper.open_shop()  # caches 18.00 a mug
    await set_price("mug-350", 2000)  # 2 x 20.00 = 40.00: free shipping from now on
    cached = await shopper.http.post(
        "/cart", data={"_csrf_token": shopper.csrf, "qty-mug-350": "2"}, headers=HTMX
    )
    assert (items_cents(cached.text), shipping_cents(cached.text)) == (3600, FLAT_RATE_CENTS)
    session_id = session_id_of((await shopper.buy({"mug-350": "2"})).headers["hx-redirect"])
    assert figures(await order_of(session_id)) == (4000, 0, 4000)
    assert stripes_figures(await stripe_session(store_sandbox, session_id)) == (4000, 0, 4000)


# --- the address, stored as typed and shown escaped ----------------------------------------------


def label_parts(page: str, tag: str) -> list[str]:
    """The lines of the `<tag class="ship-to">` address, as a reader sees them (unescaped)."""
    match = re.search(rf'<{tag} class="ship-to">(.*?)(?: · <a |</{tag}>)', page, re.S)
    assert match, f"no {tag}.ship-to on the page"
    return [html.unescape(part).strip() for part in match.group(1).split("<br>")]


def assert_escaped(page: str) -> None:
    for raw in ("<b>Ünal</b>", "<i>Laval</i>", "<script>alert"):
        assert raw not in page, raw
    assert "Zoë &lt;b&gt;Ünal&lt;/b&gt;" in page
    assert "北京市朝阳区建国路88号" in page
    assert "Montréal &amp; &lt;i&gt;Laval&lt;/i&gt;, QC H2X 1Y4" in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &#34;Flat 3&#34;" in page


async def test_the_address_is_stored_as_typed_and_every_page_escapes_it(
    shopper: Shopper, owner: OwnerBrowser, store_sandbox: SandboxServer
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    async with httpx.AsyncClient() as buyer:
        paid = await submit_card(
            buyer, f"{store_sandbox.url}/pay/{session_id}", "4242424242424242", address=TYPED
        )
    assert paid.status_code == 303, paid.text[:500]
    receipt = await shopper.success(session_id)
    assert "Thank you: payment received" in receipt.text
    assert_no_raw_markup(receipt.text)

    order = await order_of(session_id)
    assert {column: order[column] for column in STORED} == STORED
    assert (order["status"], order["paid_cents"]) == ("paid", MUG + FLAT_RATE_CENTS)

    page = (await owner.page(f"/owner/orders/{order['id']}")).text
    assert label_parts(page, "dd") == LABEL
    assert_escaped(page)
    assert f'href="/owner/orders/{order["id"]}/slip"' in page

    slip = await owner.page(f"/owner/orders/{order['id']}/slip")
    assert slip.status_code == 200
    assert label_parts(slip.text, "address") == LABEL
    assert_escaped(slip.text)

    mine = await shopper.http.get("/orders", headers=HTMX)
    assert_no_raw_markup(mine.text)


async def test_the_receipt_and_my_orders_show_the_shipping_line(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    charged = await shopper.start_checkout({"mug-350": "1"})
    await pay(store_sandbox, charged)
    await shopper.open_shop()
    free = await shopper.start_checkout({"mug-350": "3"})
    await pay(store_sandbox, free)
    receipt = (await shopper.success(charged)).text
    lines = re.search(r'<div id="order-(\d+)-lines"(.*?)</div>', receipt, re.S)
    assert lines and int(lines.group(1)) == (await order_of(charged))["id"]
    assert 'data-shipping-cents="490"><span>Shipping</span> <span>$4.90</span>' in lines.group(2)
    assert "Total <strong>$22.90</strong>" in lines.group(2)

    mine = (await shopper.http.get("/orders", headers=HTMX)).text
    assert 'data-shipping-cents="490"><span>Shipping</span> <span>$4.90</span>' in mine
    assert 'data-shipping-cents="0"><span>Shipping</span> <span>Free</span>' in mine
    assert "Total <strong>$22.90</strong>" in mine and "Total <strong>$54.00</strong>" in mine


def assert_no_raw_markup(page: str) -> None:
    for raw in ("<b>Ünal</b>", "<i>Laval</i>", "<script>alert"):
        assert raw not in page, raw


# --- confirmation: Stripe's shipping must be the order's ---------------------------------------


@pytest.mark.parametrize("via", ["success page", "webhook"])
@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"shipping_cents": 0, "total_cents": MUG},
            "Stripe charged $22.90 in all and $4.90 for shipping; "
            "the order is $18.00 in all and $0.00 for shipping.",
        ),
        (
            {"shipping_cents": 990, "total_cents": MUG + 990},
            "Stripe charged $22.90 in all and $4.90 for shipping; "
            "the order is $27.90 in all and $9.90 for shipping.",
        ),
    ],
    ids=["order says free", "order says more"],
)
async def test_a_payment_whose_shipping_differs_from_the_order_needs_review(
    shopper: Shopper,
    store_sandbox: SandboxServer,
    receiver: Receiver,
    owner: OwnerBrowser,
    caplog: pytest.LogCaptureFixture,
    via: str,
    change: dict[str, int],
    reason: str,
) -> None:
    session_id = await shopper.start_checkout({"mug-350": "1"})
    order = await order_of(session_id)
    assert figures(order) == (MUG, FLAT_RATE_CENTS, MUG + FLAT_RATE_CENTS)
    # The order's own figures stay consistent (products + shipping = total); Stripe's differ.
    await Order.update(change).where(Order.id == order["id"])  # type: ignore[arg-type]
    await pay(store_sandbox, session_id)
    if via == "success page":
        page = await shopper.success(session_id)
        assert "We are checking this payment" in page.text
    else:
        body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
        assert (await deliver(shopper.http, body, signature)).status_code == 200

    row = await order_of(session_id)
    assert row["status"] == "needs_review"
    assert row["review_reason"] == reason
    # What Stripe charged is kept beside the order's own figures, and where it goes.
    assert (row["paid_cents"], row["paid_currency"]) == (MUG + FLAT_RATE_CENTS, "usd")
    assert row["ship_name"] == "Ada Lovelace"
    errors = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any(str(order["id"]) in e and session_id in e and reason in e for e in errors)
    panel = (await owner.page(f"/owner/orders/{order['id']}")).text
    assert html.escape(reason, quote=False) in panel
    assert 'id="ship-form"' not in panel  # nothing ships until an owner accepts it


# --- the setting ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("US,CA", ("US", "CA")),
        ("us, gb", ("US", "GB")),
        (" DE ,FR,DE,", ("DE", "FR")),  # each once, in the order given
        ("", ("US", "CA")),  # unset, as every setting: the default
    ],
)
def test_ship_to_countries_are_read_as_two_letter_codes(
    tmp_path: Path, value: str, expected: tuple[str, ...]
) -> None:
    env = {"SECRET_KEY_FILE": str(tmp_path / "key"), "SHIP_TO_COUNTRIES": value}
    assert load_settings(env).ship_to_countries == expected


def test_ship_to_countries_default_to_the_us_and_canada(tmp_path: Path) -> None:
    assert load_settings({"SECRET_KEY_FILE": str(tmp_path / "key")}).ship_to_countries == (
        "US",
        "CA",
    )


@pytest.mark.parametrize("value", ["US,XX", "AS", "cu, us"])
def test_countries_stripe_does_not_ship_to_are_refused_at_start(tmp_path: Path, value: str) -> None:
    env = {"SECRET_KEY_FILE": str(tmp_path / "key"), "SHIP_TO_COUNTRIES": value}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    unknown = next(code for code in value.upper().replace(" ", "").split(",") if code != "US")
    assert str(refused.value) == (
        f"SHIP_TO_COUNTRIES: Stripe Checkout cannot ship to {unknown} "
        "(not a country code it accepts)."
    )


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("USA", "USA"),
        ("U", "U"),
        ("US;CA", "US;CA"),
        ("U1", "U1"),
        ("12", "12"),
        ("ÜS", "ÜS"),
        ("US,C A", "C A"),
        (" , ,", None),
    ],
)
def test_bad_ship_to_countries_are_refused_with_a_clear_message(
    tmp_path: Path, value: str, named: str | None
) -> None:
    env = {"SECRET_KEY_FILE": str(tmp_path / "key"), "SHIP_TO_COUNTRIES": value}
    with pytest.raises(SettingsError) as refused:
        load_settings(env)
    message = str(refused.value)
    assert message.startswith(
        "SHIP_TO_COUNTRIES must be two-letter country codes separated by commas, e.g. US,CA"
    )
    if named is not None:
        assert f"({named} is not one)" in message
