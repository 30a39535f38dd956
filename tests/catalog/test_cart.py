"""POST /cart and GET /: totals from database prices, and every bad quantity refused in place."""

from __future__ import annotations

import itertools
import re
from html import unescape
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest

from app.catalog.service import CATALOG, forget_displayed_products
from app.catalog.shipping import FLAT_RATE_CENTS, FREE_FROM_CENTS
from app.catalog.tables import Product
from tests.support.http import HTMX

PRICES = {p.sku: p.price_cents for p in CATALOG}
SKUS = list(PRICES)


def figure(html: str, name: str) -> int:
    match = re.search(rf'data-{name}-cents="(\d+)"', html)
    assert match, f"no {name} figure on the page"
    return int(match.group(1))


def total_cents(html: str) -> int:
    """The grand total: what Stripe will charge."""
    return figure(html, "total")


def items_cents(html: str) -> int:
    return figure(html, "items")


def shipping_cents(html: str) -> int:
    return figure(html, "shipping")


def subtotals(html: str) -> list[int]:
    return [int(v) for v in re.findall(r'data-subtotal-cents="(\d+)"', html)]


def field_error(html: str, sku: str) -> str | None:
    match = re.search(rf'id="qty-{re.escape(sku)}-error">([^<]*)<', html)
    return unescape(match.group(1)) if match else None


def form(shop_csrf: str, **quantities: str) -> dict[str, str]:
    return {"_csrf_token": shop_csrf, **{f"qty-{sku}": q for sku, q in quantities.items()}}


async def post_cart(
    store_client: httpx.AsyncClient, shop_csrf: str, fields: dict[str, str] | list[tuple[str, str]]
) -> httpx.Response:
    pairs = list(fields.items()) if isinstance(fields, dict) else fields
    headers = {**HTMX, "content-type": "application/x-www-form-urlencoded"}
    return await store_client.post("/cart", content=urlencode(pairs), headers=headers)


async def product_rows() -> list[dict[str, object]]:
    return await Product.select().order_by(Product.sku)


@pytest.mark.parametrize("quantities", list(itertools.product([0, 1, 2, 99], repeat=3)))
async def test_total_is_the_sum_of_database_prices(
    store_client: httpx.AsyncClient, shop_csrf: str, quantities: tuple[int, int, int]
) -> None:
    fields = form(shop_csrf, **{sku: str(q) for sku, q in zip(SKUS, quantities, strict=True)})
    response = await post_cart(store_client, shop_csrf, fields)
    assert response.status_code == 200
    expected = [PRICES[sku] * q for sku, q in zip(SKUS, quantities, strict=True)]
    assert subtotals(response.text) == expected
    items = sum(expected)
    shipping = 0 if items == 0 or items >= FREE_FROM_CENTS else FLAT_RATE_CENTS
    assert (items_cents(response.text), shipping_cents(response.text)) == (items, shipping)
    assert total_cents(response.text) == items + shipping
    assert 'id="cart"' in response.text and "<html" not in response.text


async def test_the_shop_lists_the_three_products_with_prices(
    store_client: httpx.AsyncClient,
) -> None:
    page = await store_client.get("/")
    assert page.status_code == 200
    for product in CATALOG:
        assert f'data-sku="{product.sku}"' in page.text
        assert f'data-unit-price-cents="{product.price_cents}"' in page.text
        assert product.name.replace("&", "&amp;") in page.text
    assert total_cents(page.text) == 0
    assert re.search(r"<button[^>]*formaction=\"/checkout\"[^>]*disabled", page.text, re.S)


async def test_prices_come_from_the_database_not_the_form(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    await Product.update({Product.price_cents: 777}).where(Product.sku == "mug-350")
    forget_displayed_products()  # as if DISPLAY_TTL_SECONDS had passed since the page was shown
    fields = {**form(shop_csrf, **{"mug-350": "2"}), "price": "1", "price_cents": "1", "total": "0"}
    response = await post_cart(store_client, shop_csrf, fields)
    assert response.status_code == 200
    assert items_cents(response.text) == 1554
    assert total_cents(response.text) == 1554 + FLAT_RATE_CENTS
    assert "$15.54" in response.text and "$20.44" in response.text


@pytest.mark.parametrize(
    ("price", "shipping"),
    [(FREE_FROM_CENTS - 1, FLAT_RATE_CENTS), (FREE_FROM_CENTS, 0), (FREE_FROM_CENTS + 1, 0)],
)
async def test_shipping_is_free_from_the_threshold_to_the_cent(
    store_client: httpx.AsyncClient, shop_csrf: str, price: int, shipping: int
) -> None:
    await Product.update({Product.price_cents: price}).where(Product.sku == "mug-350")
    forget_displayed_products()
    response = await post_cart(store_client, shop_csrf, form(shop_csrf, **{"mug-350": "1"}))
    assert (items_cents(response.text), shipping_cents(response.text)) == (price, shipping)
    assert total_cents(response.text) == price + shipping
    shown = re.search(r'id="cart-shipping"[^>]*>([^<]*)<', response.text)
    assert shown and shown.group(1) == ("Free" if shipping == 0 else "$4.90")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("-1", "can't be negative"),
        ("-0", "can't be negative"),
        ("100", "At most 99"),
        ("1000000000000000000000000000000", "At most 99"),
        ("1e3", "whole number"),
        ("2.5", "whole number"),
        ("٣", "whole number"),  # Arabic-Indic three
        ("\uff13", "whole number"),  # fullwidth three
        ("²", "whole number"),
        ("0x10", "whole number"),
        ("+3", "whole number"),
        ("three", "whole number"),
        ("1 2", "whole number"),
    ],
)
async def test_a_bad_quantity_is_a_422_beside_its_field_with_the_rest_kept(
    store_client: httpx.AsyncClient, shop_csrf: str, value: str, message: str
) -> None:
    before = await product_rows()
    fields = form(shop_csrf, **{"beans-250": value, "mug-350": "2", "dripper-v60": "1"})
    response = await post_cart(store_client, shop_csrf, fields)
    assert response.status_code == 422
    error = field_error(response.text, "beans-250")
    assert error is not None and message in error
    assert f'value="{value}"' in response.text or value.startswith("1000")  # what was typed stays
    assert 'name="qty-mug-350" value="2"' in response.text
    assert 'name="qty-dripper-v60" value="1"' in response.text
    assert field_error(response.text, "mug-350") is None
    assert await product_rows() == before


async def test_an_emptied_or_missing_field_counts_as_zero(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    response = await post_cart(
        store_client, shop_csrf, {"_csrf_token": shop_csrf, "qty-beans-250": "  "}
    )
    assert response.status_code == 200
    assert total_cents(response.text) == 0
    assert 'name="qty-beans-250" value="0"' in response.text


async def test_an_unknown_sku_is_refused(store_client: httpx.AsyncClient, shop_csrf: str) -> None:
    response = await post_cart(
        store_client, shop_csrf, form(shop_csrf, **{"beans-250": "1", "gold-bar": "1"})
    )
    assert response.status_code == 422
    assert "There is no product “gold-bar” in this shop." in response.text


async def test_a_duplicated_field_is_refused(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    fields = [("_csrf_token", shop_csrf), ("qty-mug-350", "1"), ("qty-mug-350", "5")]
    response = await post_cart(store_client, shop_csrf, fields)
    assert response.status_code == 422
    assert "sent twice" in (field_error(response.text, "mug-350") or "")


async def test_steppers_add_and_remove_one(store_client: httpx.AsyncClient, shop_csrf: str) -> None:
    fields = {**form(shop_csrf, **{"mug-350": "4"}), "op": "inc:mug-350"}
    response = await post_cart(store_client, shop_csrf, fields)
    assert 'name="qty-mug-350" value="5"' in response.text
    fields = {**form(shop_csrf, **{"mug-350": "4"}), "op": "dec:mug-350"}
    response = await post_cart(store_client, shop_csrf, fields)
    assert 'name="qty-mug-350" value="3"' in response.text
    assert items_cents(response.text) == 3 * PRICES["mug-350"]


@pytest.mark.parametrize(("start", "op"), [("99", "inc"), ("0", "dec")])
async def test_a_step_past_the_range_is_refused_not_clamped(
    store_client: httpx.AsyncClient, shop_csrf: str, start: str, op: str
) -> None:
    fields = {**form(shop_csrf, **{"beans-250": start}), "op": f"{op}:beans-250"}
    response = await post_cart(store_client, shop_csrf, fields)
    assert response.status_code == 422
    assert field_error(response.text, "beans-250")
    assert f'name="qty-beans-250" value="{start}"' in response.text


async def test_without_javascript_the_form_redirects_back_with_the_quantities(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    response = await store_client.post(
        "/cart", data=form(shop_csrf, **{"beans-250": "2", "mug-350": "0"})
    )
    assert response.status_code == 303
    location = response.headers["location"]
    assert dict(parse_qsl(urlsplit(location).query)) == {"qty-beans-250": "2"}
    page = await store_client.get(location)
    assert page.status_code == 200
    assert items_cents(page.text) == 2 * PRICES["beans-250"]
    assert 'name="qty-beans-250" value="2"' in page.text


async def test_without_javascript_a_bad_quantity_is_the_full_page_with_the_message(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    response = await store_client.post("/cart", data=form(shop_csrf, **{"mug-350": "2.5"}))
    assert response.status_code == 422
    assert "<html" in response.text and "whole number" in response.text


async def test_a_post_without_the_csrf_token_is_refused(store_client: httpx.AsyncClient) -> None:
    await store_client.get("/")
    response = await store_client.post("/cart", data={"qty-mug-350": "1"}, headers=HTMX)
    assert response.status_code == 403
    wrong = await store_client.post("/cart", data={"qty-mug-350": "1", "_csrf_token": "x" * 64})
    assert wrong.status_code == 403
    assert "expired" in wrong.text and "Traceback" not in wrong.text


async def test_the_csrf_header_is_accepted_as_htmx_sends_it(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    response = await store_client.post(
        "/cart", data={"qty-mug-350": "1"}, headers={**HTMX, "x-csrftoken": shop_csrf}
    )
    assert response.status_code == 200
    assert items_cents(response.text) == PRICES["mug-350"]
