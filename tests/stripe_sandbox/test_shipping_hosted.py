"""Shipping on the hosted page: Stripe's address fields, then the address on the session."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import pytest

from tests.stripe_sandbox.conftest import events_for, shipping
from tests.stripe_sandbox.schema import schema_problems
from tests.stripe_sandbox.test_hosted import authentication_page, states
from tests.support.http import csrf_token
from tests.support.stripe_sandbox import (
    CARD_ACTION,
    DEFAULT_ADDRESS,
    after_decline,
    submit_card,
    submit_later,
)

FIELD_IDS = (
    "shippingName",
    "shippingAddressLine1",
    "shippingAddressLine2",
    "shippingLocality",
    "shippingAdministrativeArea",
    "shippingPostalCode",
)
# Typed as a buyer might: HTML and letters from beyond Latin-1, kept exactly and escaped on pages.
TYPED = {
    "shippingName": "Zoë <b>Ünal</b>",
    "shippingAddressLine1": "北京市朝阳区建国路88号",
    "shippingAddressLine2": "",
    "shippingLocality": "Montréal & <i>Laval</i>",
    "shippingAdministrativeArea": "QC",
    "shippingPostalCode": "H2X 1Y4",
    "shippingCountry": "CA",
}
STORED = {
    "name": "Zoë <b>Ünal</b>",
    "address": {
        "city": "Montréal & <i>Laval</i>",
        "country": "CA",
        "line1": "北京市朝阳区建国路88号",
        "line2": None,
        "postal_code": "H2X 1Y4",
        "state": "QC",
    },
}


def _card_form(page: str) -> str:
    start = page.index('<form class="card-form"')
    return page[start : page.index("</form>", start)]


async def test_the_page_asks_where_to_ship_with_stripes_fields_and_the_allowed_countries(
    new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())

    page = (await http.get(session.url)).text

    form = _card_form(page)
    for name in FIELD_IDS:
        assert re.search(rf'<input id="{name}" name="{name}" type="text"', form), name
    for optional in ("shippingAddressLine2", "shippingAdministrativeArea"):
        assert not re.search(rf'id="{optional}"[^>]* required', form), optional
    select = re.search(
        r'<select id="shippingCountry" name="shippingCountry"[^>]*>(.*?)</select>', form, re.S
    )
    assert select
    options = re.findall(
        r'<option value="([A-Z]{2})"( selected)?>([^<]+)</option>', select.group(1)
    )
    assert options == [("CA", "", "Canada"), ("US", " selected", "United States")]
    assert "Standard shipping" in page and "2\N{EN DASH}5 business days" in page
    assert re.search(r'id="order-shipping"[^>]*>\$4\.90<', page)
    assert re.search(r'id="order-subtotal">\$47\.00<', page)
    assert re.search(r'id="order-total" data-amount="5190">\$51\.90<', page)
    assert "Pay $51.90" in page
    assert "<script" not in page and "style=" not in page


async def test_free_shipping_says_free(new_session: Any, http: httpx.AsyncClient) -> None:
    session = await new_session(**shipping(0, "Free shipping"))

    page = (await http.get(session.url)).text

    assert "Free shipping" in page
    assert re.search(r'id="order-shipping"[^>]*>Free<', page)
    assert "Pay $47.00" in page


async def test_a_session_without_shipping_asks_for_no_address(
    new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()

    page = (await http.get(session.url)).text

    assert "shippingName" not in page and "order-shipping" not in page


async def test_paying_keeps_the_address_exactly_as_typed(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())

    response = await submit_card(http, session.url, "4242424242424242", address=TYPED)

    assert response.status_code == 303, response.text[:500]
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    body = paid.to_dict()
    assert body["collected_information"]["shipping_details"] == STORED
    assert "shipping_details" not in body
    assert schema_problems(STORED, "shipping") == []
    assert schema_problems(STORED["address"], "address") == []
    assert body["customer_details"]["address"] is None
    assert body["customer_details"]["email"] == "ada@example.com"
    assert (body["amount_total"], body["total_details"]["amount_shipping"]) == (5190, 490)
    assert body["shipping_cost"]["amount_total"] == 490


def _error_beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', page)
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"shippingName": ""}, "shippingName"),
        ({"shippingName": "   "}, "shippingName"),
        ({"shippingAddressLine1": ""}, "shippingAddressLine1"),
        ({"shippingLocality": ""}, "shippingLocality"),
        ({"shippingPostalCode": ""}, "shippingPostalCode"),
        ({"shippingCountry": "FR"}, "shippingCountry"),
        ({"shippingCountry": ""}, "shippingCountry"),
        ({"shippingCountry": "us"}, "shippingCountry"),
        ({"shippingName": "A" * 201}, "shippingName"),
        ({"shippingAddressLine1": "x" * 201}, "shippingAddressLine1"),
        ({"shippingAddressLine2": "x" * 201}, "shippingAddressLine2"),
        ({"shippingLocality": "x" * 201}, "shippingLocality"),
        ({"shippingAdministrativeArea": "x" * 201}, "shippingAdministrativeArea"),
        ({"shippingPostalCode": "9" * 33}, "shippingPostalCode"),
        ({"shippingName": "Ada\nLovelace"}, "shippingName"),
        ({"shippingAddressLine1": "1 Main St\x00"}, "shippingAddressLine1"),
        ({"shippingLocality": "Spring\x1bfield"}, "shippingLocality"),
        ({"shippingPostalCode": "62701\r"}, "shippingPostalCode"),
    ],
)
async def test_an_address_that_cant_be_used_is_refused_beside_its_field(
    stripe_client: Any,
    new_session: Any,
    http: httpx.AsyncClient,
    change: dict[str, str],
    field: str,
) -> None:
    session = await new_session(**shipping())

    response = await submit_card(http, session.url, "4242424242424242", address=change)

    assert response.status_code == 422, response.text[:300]
    assert _error_beside(response.text, field)
    assert "\x00" not in response.text and "\x1b" not in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")
    assert await events_for(stripe_client, session.id, "checkout.session.completed") == []


async def test_a_refused_page_shows_the_address_escaped_as_typed(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())

    response = await submit_card(
        http, session.url, "4242424242424242", address={**TYPED, "shippingPostalCode": ""}
    )

    assert response.status_code == 422
    page = response.text
    assert 'value="Zoë &lt;b&gt;Ünal&lt;/b&gt;"' in page
    assert 'value="Montréal &amp; &lt;i&gt;Laval&lt;/i&gt;"' in page
    assert 'value="北京市朝阳区建国路88号"' in page
    assert "<b>Ünal</b>" not in page and "<i>Laval</i>" not in page
    assert re.search(r'<option value="CA" selected>', _card_form(page))
    assert await states(stripe_client, session.id) == ("open", "unpaid")


@pytest.mark.parametrize(
    ("left_out", "raw", "field", "says"),
    [
        (None, b"&shippingCountry=CA", "shippingCountry", "more than once"),
        ("shippingLocality", b"&shippingLocality=%ff%fe", "shippingLocality", "can't be used"),
        ("shippingName", b"&shippingName=Zo%C3", "shippingName", "can't be used"),
    ],
)
async def test_an_address_field_sent_twice_or_not_as_utf8_is_refused(
    stripe_client: Any,
    new_session: Any,
    http: httpx.AsyncClient,
    left_out: str | None,
    raw: bytes,
    field: str,
    says: str,
) -> None:
    session = await new_session(**shipping())
    page = await http.get(session.url)
    action = CARD_ACTION.search(page.text)
    assert action
    fields = {
        "_csrf_token": csrf_token(page.text),
        "email": "ada@example.com",
        "cardNumber": "4242424242424242",
        "cardExpiry": "12 / 40",
        "cardCvc": "123",
        "billingName": "Ada",
        **DEFAULT_ADDRESS,
        "shippingCountry": "US",
    }
    fields.pop(left_out or "", None)

    response = await http.post(
        urljoin(session.url, action.group(1)),
        content=urlencode(fields).encode() + raw,
        headers={"Content-Type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 422
    assert says in _error_beside(response.text, field)
    assert await states(stripe_client, session.id) == ("open", "unpaid")


async def test_a_declined_card_keeps_the_address_typed(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())

    answer = await submit_card(http, session.url, "4000000000000002", address=TYPED)
    response = await after_decline(http, answer)

    assert "Your card was declined." in response.text
    assert 'value="H2X 1Y4"' in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")


async def test_authentication_keeps_the_address_through_to_the_session(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    failed = await new_session(**shipping())
    url, token = await authentication_page(http, failed, address=TYPED)

    answer = await http.post(url, data={"_csrf_token": token, "outcome": "fail"})
    declined = await after_decline(http, answer)

    assert 'value="Zoë &lt;b&gt;Ünal&lt;/b&gt;"' in declined.text
    assert re.search(r'<option value="CA" selected>', _card_form(declined.text))
    approved = await new_session(**shipping())
    url, token = await authentication_page(http, approved, address=TYPED)
    response = await http.post(url, data={"_csrf_token": token, "outcome": "approve"})
    assert response.status_code == 303
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(approved.id)
    assert paid.collected_information.shipping_details.to_dict() == STORED


async def test_paying_later_asks_for_the_address_too(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session(**shipping())
    page = (await http.get(session.url)).text
    later = page[page.index('<details class="later"') :]
    for name in FIELD_IDS:
        assert re.search(rf'<input id="later-{name}" name="{name}"', later), name

    refused = await submit_later(
        http, session.url, outcome="succeed", address={"shippingLocality": ""}
    )
    assert refused.status_code == 422
    assert _error_beside(refused.text, "later-shippingLocality")
    assert await states(stripe_client, session.id) == ("open", "unpaid")

    response = await submit_later(http, session.url, outcome="succeed", address=TYPED)
    assert response.status_code == 303
    done = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    assert done.collected_information.shipping_details.to_dict() == STORED
    assert done.amount_total == 5190
