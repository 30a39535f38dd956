"""Checkout tokens come only from the server: forged, foreign, stale or garbled ones buy nothing."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable

import pytest

from app.orders.tokens import TOKEN_LIFETIME, CheckoutTokens
from app.settings import Settings
from app.visitor import COOKIE_NAME
from tests.support.checkout import Shopper, order_rows
from tests.support.http import texts_of
from tests.support.stripe_sandbox import SandboxServer, get_json

VISITOR = "v" * 24
CLOSED = "That checkout has ended and nothing was charged. Press Buy to start a new one."


def test_a_token_is_good_for_its_visitor_for_a_few_hours() -> None:
    tokens = CheckoutTokens("k" * 40)
    now = float(int(time.time()))  # tokens keep whole seconds
    token = tokens.mint(VISITOR, now=now)
    assert len(token) <= 64  # Order.checkout_token is a Varchar(64)
    assert tokens.valid(token, VISITOR, now=now)
    assert tokens.valid(token, VISITOR, now=now + TOKEN_LIFETIME.total_seconds())
    assert not tokens.valid(token, VISITOR, now=now + TOKEN_LIFETIME.total_seconds() + 1)
    assert not tokens.valid(token, VISITOR, now=now - 120)  # minted "in the future"
    assert not tokens.valid(token, "w" * 24, now=now)
    assert not CheckoutTokens("j" * 40).valid(token, VISITOR, now=now)
    assert len({tokens.mint(VISITOR, now=now) for _ in range(100)}) == 100  # one per form


@pytest.mark.parametrize(
    "garble",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # the MAC
        lambda t: format(int(t.split(".")[0], 16) + 1, "x") + t[t.index(".") :],  # the time
        lambda t: t.upper(),
        lambda t: t + "x",
        lambda t: t.replace(".", "-"),
        lambda t: " " + t,
        lambda t: "0x" + t,
        lambda t: "",
    ],
)
def test_a_changed_token_is_refused(garble: Callable[[str], str]) -> None:
    tokens = CheckoutTokens("k" * 40)
    token = tokens.mint(VISITOR)
    assert not tokens.valid(garble(token), VISITOR)


async def test_a_flood_of_made_up_tokens_stores_nothing_and_opens_no_session(
    shopper: Shopper, store_sandbox: SandboxServer
) -> None:
    """The reported attack: one cookie, a random token per request, no page rendered."""
    newest_before = (await get_json(store_sandbox, "/v1/checkout/sessions?limit=1"))["data"]
    await shopper.open_shop()
    for _ in range(100):
        response = await shopper.buy({"mug-350": "1"}, token=secrets.token_urlsafe(16))
        assert response.status_code == 409
        assert texts_of(response.text, "div", "notice") == [CLOSED]
    assert await order_rows() == []
    assert (await get_json(store_sandbox, "/v1/checkout/sessions?limit=1"))["data"] == newest_before


async def test_a_stale_token_of_the_right_visitor_is_refused_with_a_fresh_form(
    shopper: Shopper, settings: Settings
) -> None:
    page = await shopper.open_shop()
    visitor_id = shopper.http.cookies[COOKIE_NAME].partition(".")[0]
    then = time.time() - TOKEN_LIFETIME.total_seconds() - 5
    stale = CheckoutTokens(settings.secret_key).mint(visitor_id, now=then)
    assert page.status_code == 200
    response = await shopper.buy({"mug-350": "1"}, token=stale)
    assert response.status_code == 409
    assert texts_of(response.text, "div", "notice") == [CLOSED]
    assert await order_rows() == []
    # The 409 carries a fresh form: Buy from it goes through.
    assert shopper.checkout_token != stale
    retried = await shopper.buy({"mug-350": "1"})
    assert retried.status_code == 200 and "hx-redirect" in retried.headers
    assert len(await order_rows()) == 1


async def test_a_token_minted_for_one_visitor_buys_nothing_for_another(
    shopper: Shopper, other_shopper: Shopper
) -> None:
    await shopper.open_shop()
    response = await other_shopper.buy({"mug-350": "1"}, token=shopper.checkout_token)
    assert response.status_code == 409
    assert await order_rows() == []
    assert (await shopper.buy({"mug-350": "1"})).status_code == 200  # still good for its owner
