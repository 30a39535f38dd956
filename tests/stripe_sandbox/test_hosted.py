"""The hosted page driven like a buyer would: plain form posts with the page's CSRF token."""

from __future__ import annotations

import base64
import re
from typing import Any

import httpx
import pytest

from tests.stripe_sandbox.conftest import events_for
from tests.support.stripe_sandbox import (
    FUTURE_EXPIRY,
    Receiver,
    SandboxServer,
    after_decline,
    eventually,
    submit_card,
    submit_later,
)


async def test_the_page_shows_test_mode_the_items_and_stripes_fields(
    new_session: Any, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    session = await new_session()

    page = await http.get(session.url)

    assert page.status_code == 200
    assert "TEST MODE" in page.text
    assert "House blend beans, 250 g" in page.text and "Stoneware mug" in page.text
    assert "$47.00" in page.text
    for name in ("email", "cardNumber", "cardExpiry", "cardCvc", "billingName"):
        assert re.search(rf'id="{name}" name="{name}"', page.text), name
    assert f'href="{receiver.url}/checkout/cancel"' in page.text
    assert "<script" not in page.text and "style=" not in page.text
    assert f"form-action 'self' {receiver.url}" in page.headers["content-security-policy"]


async def test_back_goes_to_cancel_url_with_the_session_id_filled_in(
    new_session: Any, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    template = f"{receiver.url}/checkout/cancel?session_id={{CHECKOUT_SESSION_ID}}"
    session = await new_session(cancel_url=template)
    assert session.cancel_url == template  # the API keeps the template, as Stripe does

    page = await http.get(session.url)

    back = f'href="{receiver.url}/checkout/cancel?session_id={session.id}"'
    assert back in page.text and "{CHECKOUT_SESSION_ID}" not in page.text


async def test_4242_pays_and_redirects_to_success_url(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    session = await new_session()

    response = await submit_card(http, session.url, "4242 4242 4242 4242")

    assert response.status_code == 303
    assert response.headers["location"] == (
        f"{receiver.url}/checkout/success?session_id={session.id}"
    )
    paid = await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    assert paid.payment_intent.startswith("pi_")
    assert paid.customer_details.email == "ada@example.com"
    assert paid.url is None
    completed = await events_for(stripe_client, session.id, "checkout.session.completed")
    assert len(completed) == 1
    assert completed[0].data.object.payment_status == "paid"


async def test_a_paid_session_takes_no_second_payment(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()
    token = re.search(r'name="_csrf_token" value="([^"]+)"', (await http.get(session.url)).text)
    assert token
    first = await submit_card(http, session.url, "4242424242424242")
    assert first.status_code == 303

    page = await http.get(session.url)
    assert "already complete" in page.text
    assert 'name="cardNumber"' not in page.text
    again = await http.post(
        f"/pay/{session.id}",
        data=card_form(token.group(1)),
    )
    assert again.status_code == 200
    assert "already complete" in again.text
    assert len(await events_for(stripe_client, session.id, "checkout.session.completed")) == 1


@pytest.mark.parametrize(
    ("number", "message"),
    [
        ("4000 0000 0000 0002", "Your card was declined."),
        ("4000 0000 0000 9995", "Your card has insufficient funds."),
        ("4000 0000 0000 0069", "Your card has expired."),
    ],
)
async def test_declining_test_cards_show_an_error_and_keep_the_session_open(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, number: str, message: str
) -> None:
    session = await new_session()

    response = await after_decline(http, await submit_card(http, session.url, number))

    assert message in response.text
    assert 'value="ada@example.com"' in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"number": "4242 4242 4242 4241"}, "cardNumber", "Your card number is invalid."),
        ({"number": "4242 4242"}, "cardNumber", "Your card number is incomplete."),
        ({"expiry": "01 / 20"}, "cardExpiry", "Your card's expiration year is in the past."),
        ({"cvc": "1"}, "cardCvc", "Your card's security code is incomplete."),
        ({"email": "not-an-email"}, "email", "Your email address is incomplete or invalid."),
    ],
)
async def test_malformed_card_details_are_errors_on_the_page(
    stripe_client: Any,
    new_session: Any,
    http: httpx.AsyncClient,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    session = await new_session()
    number = fields.pop("number", "4242424242424242")

    response = await submit_card(http, session.url, number, **fields)

    assert response.status_code == 422
    assert f'<p class="field-error" id="{field}-error">{message}' in response.text.replace(
        "&#39;", "'"
    )
    assert (await stripe_client.v1.checkout.sessions.retrieve_async(session.id)).status == "open"


async def authentication_page(
    http: httpx.AsyncClient, session: Any, *, address: dict[str, str] | None = None
) -> tuple[str, str]:
    response = await submit_card(http, session.url, "4000 0000 0000 3220", address=address)
    assert response.status_code == 303
    assert response.headers["location"] == f"/pay/{session.id}/authenticate"
    page = await http.get(response.headers["location"])
    assert page.status_code == 200
    assert "Complete authentication" in page.text
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    return response.headers["location"], token.group(1)


async def test_3220_asks_for_authentication_and_approving_pays(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    session = await new_session()
    url, token = await authentication_page(http, session)
    assert (await stripe_client.v1.checkout.sessions.retrieve_async(session.id)).status == "open"

    response = await http.post(url, data={"_csrf_token": token, "outcome": "approve"})

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{receiver.url}/checkout/success")
    assert await states(stripe_client, session.id) == ("complete", "paid")


async def test_3220_failing_authentication_declines(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()
    url, token = await authentication_page(http, session)

    answer = await http.post(url, data={"_csrf_token": token, "outcome": "fail"})
    response = await after_decline(http, answer)

    assert "unable to authenticate your payment method" in response.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")


async def test_pay_later_completes_unpaid_then_settles_paid(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, receiver: Receiver
) -> None:
    session = await new_session()

    response = await submit_later(http, session.url, outcome="succeed")

    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{receiver.url}/checkout/success")
    completed = await events_for(stripe_client, session.id, "checkout.session.completed")
    assert [e.data.object.payment_status for e in completed] == ["unpaid"]
    assert completed[0].data.object.status == "complete"

    settled = await eventually(
        lambda: events_for(stripe_client, session.id, "checkout.session.async_payment_succeeded")
    )
    assert settled[0].data.object.payment_status == "paid"
    assert await states(stripe_client, session.id) == ("complete", "paid")


async def test_pay_later_can_fail_to_settle(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()

    response = await submit_later(http, session.url, outcome="fail")
    assert response.status_code == 303

    failed = await eventually(
        lambda: events_for(stripe_client, session.id, "checkout.session.async_payment_failed")
    )
    assert failed[0].data.object.payment_status == "unpaid"
    assert (
        await events_for(stripe_client, session.id, "checkout.session.async_payment_succeeded")
        == []
    )
    assert await states(stripe_client, session.id) == ("complete", "unpaid")


async def test_a_session_past_expires_at_expires_on_its_own(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient, sandbox: SandboxServer
) -> None:
    session = await new_session()
    page = await http.get(session.url)
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token
    backdated = await http.post(f"/_sandbox/sessions/{session.id}/backdate")
    assert backdated.json() == {"backdated": 1}

    expired = await eventually(
        lambda: events_for(stripe_client, session.id, "checkout.session.expired")
    )

    assert expired[0].data.object.status == "expired"
    assert (await stripe_client.v1.checkout.sessions.retrieve_async(session.id)).status == "expired"
    page = await http.get(session.url)
    assert "has expired" in page.text
    attempt = await http.post(
        f"/pay/{session.id}",
        data=card_form(token.group(1)),
    )
    assert "has expired" in attempt.text
    assert (
        await stripe_client.v1.checkout.sessions.retrieve_async(session.id)
    ).payment_status == "unpaid"


async def test_the_forms_are_csrf_protected(new_session: Any, http: httpx.AsyncClient) -> None:
    session = await new_session()
    await http.get(session.url)

    response = await http.post(
        f"/pay/{session.id}",
        data={"email": "ada@example.com", "cardNumber": "4242424242424242"},
    )

    assert response.status_code == 403


async def test_an_unknown_session_page_is_404(http: httpx.AsyncClient) -> None:
    response = await http.get("/pay/cs_test_nothing_here")
    assert response.status_code == 404
    assert "no checkout page here" in response.text


async def states(stripe_client: Any, session_id: str) -> tuple[str, str]:
    """A session's (status, payment_status), as the shop reads them back from Stripe."""
    session = await stripe_client.v1.checkout.sessions.retrieve_async(session_id)
    return session.status, session.payment_status


def card_form(csrf_token: str) -> dict[str, str]:
    """The card form filled in with 4242, as a buyer sends it again from an old tab."""
    return {
        "_csrf_token": csrf_token,
        "email": "ada@example.com",
        "cardNumber": "4242424242424242",
        "cardExpiry": FUTURE_EXPIRY,
        "cardCvc": "123",
        "billingName": "Ada",
    }


async def test_a_decline_is_answered_with_a_redirect_so_back_and_reload_post_nothing(
    stripe_client: Any, new_session: Any, http: httpx.AsyncClient
) -> None:
    session = await new_session()
    answer = await submit_card(http, session.url, "4000 0000 0000 9995", email="zoe@example.com")
    page = await after_decline(http, answer)  # a GET: reloading it asks nothing of the buyer
    assert "Your card has insufficient funds." in page.text
    assert 'value="zoe@example.com"' in page.text
    kept = answer.cookies.get("sandbox_typed") or ""
    assert kept and "4000" not in base64.urlsafe_b64decode(kept).decode()  # never the card
    again = await http.get(page.url)
    assert "Your card has insufficient funds." in again.text
    fresh = await http.get(session.url)  # the page itself, not after a decline
    assert 'role="alert"' not in fresh.text
    forged = await http.get(session.url, params={"declined": "<b>made up</b>"})
    assert 'role="alert"' not in forged.text and "made up" not in forged.text
    assert await states(stripe_client, session.id) == ("open", "unpaid")
