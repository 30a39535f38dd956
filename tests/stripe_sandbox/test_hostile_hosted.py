"""Every field of every hosted form, sent hostile: a message beside the field, never a 500."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlencode, urljoin

import httpx
import pytest

from tests.stripe_sandbox.test_hosted import authentication_page, card_form, states
from tests.support.http import csrf_token
from tests.support.stripe_sandbox import CARD_ACTION, LATER_ACTION


async def _post(
    http: httpx.AsyncClient, url: str, action: re.Pattern[str], fields: dict[str, str], raw: bytes
) -> httpx.Response:
    page = await http.get(url)
    target = action.search(page.text)
    assert target, "the page has no such form"
    body = urlencode({"_csrf_token": csrf_token(page.text), **fields}).encode() + raw
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    return await http.post(urljoin(url, target.group(1)), content=body, headers=headers)


def _error_beside(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]+)</p>', page)
    assert found, f"no error beside {field}"
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("change", "field", "kept"),
    [
        ({"email": "ada\x00@example.com"}, "email", None),
        ({"email": "a" * 300 + "@example.com"}, "email", None),
        ({"billingName": "Ada\x00Lovelace"}, "billingName", None),
        ({"billingName": "A" * 201}, "billingName", "A" * 201),
        ({"billingName": "Ada\nLovelace"}, "billingName", None),
        ({"cardNumber": "4242\x004242 4242 4242"}, "cardNumber", None),
        ({"cardNumber": "4" * 100_000}, "cardNumber", None),
        ({"cardExpiry": "12 / 40\x00"}, "cardExpiry", None),
        ({"cardExpiry": "1" * 100_000}, "cardExpiry", None),
        ({"cardCvc": "12\x003"}, "cardCvc", None),
    ],
)
async def test_a_hostile_card_form_field_is_an_error_beside_it(
    stripe_client: Any,
    new_session: Any,
    http: httpx.AsyncClient,
    change: dict[str, str],
    field: str,
    kept: str | None,
) -> None:
    session = await new_session()
    fields = {**_card(), **change}

    response = await _post(http, session.url, CARD_ACTION, fields, b"")

    assert response.status_code == 422, response.text[:300]
    assert _error_beside(response.text, field)
    if kept is not None:
        assert f'value="{kept}"' in response.text
    assert "\x00" not in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")


def _card() -> dict[str, str]:
    return {k: v for k, v in card_form("").items() if k != "_csrf_token"}


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b"&email=ada%40example.com", "email"),  # the same field twice
        (b"&billingName=%ff%fe", "billingName"),  # not UTF-8
        (b"&billingName=\xff", "billingName"),
    ],
)
async def test_repeated_or_undecodable_fields_are_errors_too(
    new_session: Any, http: httpx.AsyncClient, raw: bytes, field: str
) -> None:
    session = await new_session()
    fields = _card()
    if field == "billingName":
        fields.pop("billingName")

    response = await _post(http, session.url, CARD_ACTION, fields, raw)

    assert response.status_code == 422, response.text[:300]
    assert _error_beside(response.text, field)


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "ada\x00@example.com"}, "later-email"),
        ({"outcome": "explode"}, "outcome"),
        ({"outcome": "\x00"}, "outcome"),
    ],
)
async def test_a_hostile_pay_later_field_is_an_error_beside_it(
    stripe_client: Any,
    new_session: Any,
    http: httpx.AsyncClient,
    change: dict[str, str],
    field: str,
) -> None:
    session = await new_session()
    fields = {"email": "ada@example.com", "outcome": "succeed", **change}

    response = await _post(http, session.url, LATER_ACTION, fields, b"")

    assert response.status_code == 422, response.text[:300]
    assert _error_beside(response.text, field)
    assert await states(stripe_client, session.id) == ("open", "unpaid")


async def test_pay_later_ignores_a_name_its_form_never_sends(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()
    fields = {"email": "ada@example.com", "outcome": "succeed", "billingName": "A\x00" * 300}

    response = await _post(http, session.url, LATER_ACTION, fields, b"")

    assert response.status_code == 303
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    assert paid.customer_details.name is None


@pytest.mark.parametrize("outcome", ["explode", "\x00", "approve" * 1000])
async def test_a_hostile_authentication_answer_is_an_error_on_the_page(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, outcome: str
) -> None:
    session = await new_session()
    url, token = await authentication_page(http, session)

    response = await http.post(url, data={"_csrf_token": token, "outcome": outcome})

    assert response.status_code == 422, response.text[:300]
    assert _error_beside(response.text, "outcome")
    assert "Complete authentication" in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")


@pytest.mark.parametrize("session_id", ["cs_test_%00", "cs_test_" + "x" * 5000, "%ff"])
async def test_a_hostile_session_id_is_the_not_found_page(
    http: httpx.AsyncClient, session_id: str
) -> None:
    for path in (f"/pay/{session_id}", f"/pay/{session_id}/authenticate"):
        response = await http.get(path)
        assert response.status_code == 404, response.text[:300]
        assert "no checkout page here" in response.text
