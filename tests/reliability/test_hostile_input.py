"""The catalogue of bad and hostile requests: none is a 500, changes an order or leaks one."""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import pytest

from app.visitor import COOKIE_NAME
from tests.support.checkout import Shopper, deliver, order_rows, pay, sign, webhook_for
from tests.support.http import HTMX
from tests.support.stripe_sandbox import API_KEY, WEBHOOK_SECRET, Receiver, SandboxServer

UNKNOWN_SESSION = "cs_test_" + "U" * 58


@dataclass
class Scene:
    """A victim with a paid order, and an attacker with a page of the shop open."""

    attacker: Shopper
    victim: Shopper
    session: str  # the victim's paid session
    order_id: int
    webhook: tuple[bytes, str]  # Stripe's signed checkout.session.completed for it

    def leaks(self, response: httpx.Response) -> list[str]:
        seen = response.text + " ".join(response.headers.values())
        marks = [WEBHOOK_SECRET, API_KEY, "sk_test_", "Traceback", 'File "/']
        if self.victim.http.cookies["visitor"] not in response.request.headers.get("cookie", ""):
            marks += [self.session, f'data-order-id="{self.order_id}"']
        return [mark for mark in marks if mark in seen]

    async def buy(self, fields: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
        """A Buy with a valid CSRF and checkout token, plus whatever `fields` say."""
        await self.attacker.open_shop()
        base = [
            ("_csrf_token", self.attacker.csrf),
            ("checkout_token", self.attacker.checkout_token),
        ]
        pairs = list(fields.items()) if isinstance(fields, dict) else fields
        form = {**HTMX, "content-type": "application/x-www-form-urlencoded"}
        return await self.attacker.http.post(
            "/checkout", content=urlencode(base + pairs), headers=form
        )

    async def hook(self, body: bytes, signature: str | None) -> httpx.Response:
        return await deliver(self.attacker.http, body, signature)

    def event(self, **changes: Any) -> bytes:
        event = json.loads(self.webhook[0])
        event["id"] = "evt_forged_" + str(time.monotonic_ns())
        event["data"]["object"].update(changes)
        return json.dumps(event).encode()


Send = Callable[[Scene], Awaitable[httpx.Response]]


def qty(value: str) -> Send:
    return lambda s: s.buy({"qty-mug-350": value})


def page(path: str, method: str = "GET") -> Send:
    return lambda s: s.attacker.http.request(method, path)


def with_visitor(cookie: Callable[[str], str], path: str, htmx: bool = False) -> Send:
    async def send(s: Scene) -> httpx.Response:
        victim = s.victim.http.cookies["visitor"]
        jar = httpx.Cookies({"visitor": cookie(victim)})
        async with httpx.AsyncClient(
            transport=s.attacker.http._transport, base_url=s.attacker.http.base_url, cookies=jar
        ) as forger:
            return await forger.get(path, headers=HTMX if htmx else {})

    return send


def flipped(cookie: str) -> str:
    head, _, mac = cookie.partition(".")
    return f"{head}.{('A' if mac[0] != 'A' else 'B') + mac[1:]}"


async def twice(s: Scene) -> httpx.Response:
    await s.hook(*s.webhook)
    return await s.hook(*s.webhook)


async def forged_paid_event_for_an_unpaid_order(s: Scene) -> httpx.Response:
    """Well signed, but its body says paid: the store asks Stripe, which says not yet."""
    pending = await s.attacker.start_checkout({"mug-350": "1"})
    body = s.event(id=pending, payment_status="paid", status="complete", amount_total=1)
    return await s.hook(body, sign(body))


async def csrf(s: Scene, token: str | None, path: str = "/checkout") -> httpx.Response:
    await s.attacker.open_shop()
    fields = {"checkout_token": s.attacker.checkout_token, "qty-mug-350": "1"}
    if token is not None:
        fields["_csrf_token"] = token
    return await s.attacker.http.post(path, data=fields, headers=HTMX)


NOW = int(time.time())
# (what is tried, how, the status the store must answer)
CASES: list[tuple[str, Send, int]] = [
    ("quantity -1", qty("-1"), 422),
    ("quantity 100", qty("100"), 422),
    ("quantity huge", qty("9" * 60), 422),
    ("quantity 1e3", qty("1e3"), 422),
    ("quantity 2.5", qty("2.5"), 422),
    ("quantity +1", qty("+1"), 422),
    ("quantity 0x10", qty("0x10"), 422),
    ("quantity arabic-indic 3", qty("\u0663"), 422),
    ("quantity fullwidth 3", qty("\uff13"), 422),
    ("quantity superscript 2", qty("\u00b2"), 422),
    ("quantity with NUL", qty("1\x00"), 422),
    ("quantity empty", qty(""), 422),
    ("quantities missing", lambda s: s.buy({}), 422),
    ("every quantity 0", lambda s: s.buy({"qty-mug-350": "0", "qty-beans-250": "0"}), 422),
    ("duplicated key", lambda s: s.buy([("qty-mug-350", "1"), ("qty-mug-350", "2")]), 422),
    ("unknown sku", lambda s: s.buy({"qty-gold-bar": "1"}), 422),
    ("missing sku", lambda s: s.buy({"qty-": "1"}), 422),
    ("unknown button", lambda s: s.buy({"qty-mug-350": "1", "op": "inc:gold"}), 422),
    ("no checkout token", lambda s: s.attacker.buy({"mug-350": "1"}, token=""), 409),
    ("body over the limit", lambda s: s.buy({"qty-mug-350": "1", "pad": "x" * 70_000}), 413),
    ("GET /checkout", page("/checkout"), 405),
    ("PUT /cart", page("/cart", "PUT"), 405),
    ("DELETE /", page("/", "DELETE"), 405),
    ("GET /webhooks/stripe", page("/webhooks/stripe"), 405),
    ("success, no session_id", page("/checkout/success"), 400),
    ("success, malformed", page("/checkout/success?session_id=cs_test_x%27%3Cscript%3E"), 400),
    ("success, twice", page(f"/checkout/success?session_id=a&session_id={UNKNOWN_SESSION}"), 404),
    ("success, unknown", page(f"/checkout/success?session_id={UNKNOWN_SESSION}"), 404),
    ("success, someone else's", lambda s: s.attacker.success(s.session), 200),
    ("cancel, malformed", page("/checkout/cancel?session_id=../../etc/passwd"), 400),
    ("cancel, unknown", page(f"/checkout/cancel?session_id={UNKNOWN_SESSION}"), 404),
    ("cancel, someone else's", lambda s: s.attacker.cancel(s.session), 404),
    ("cancel, of a paid order", lambda s: s.victim.cancel(s.session), 303),
    ("webhook unsigned", lambda s: s.hook(s.webhook[0], None), 400),
    ("webhook badly signed", lambda s: s.hook(s.webhook[0], "t=1,v1=00"), 400),
    ("webhook other secret", lambda s: s.hook(s.webhook[0], sign(s.webhook[0], "whsec_x")), 400),
    ("webhook old", lambda s: s.hook(s.webhook[0], sign(s.webhook[0], at=NOW - 3600)), 400),
    ("webhook future", lambda s: s.hook(s.webhook[0], sign(s.webhook[0], at=NOW + 3600)), 400),
    ("webhook non-JSON", lambda s: s.hook(b"\xff{not json", sign(b"\xff{not json")), 400),
    ("webhook replayed", twice, 200),
    ("webhook, other amount", lambda s: s.hook(b := s.event(amount_total=1), sign(b)), 200),
    ("webhook, forged paid", forged_paid_event_for_an_unpaid_order, 200),
    ("webhook, unknown session", lambda s: s.hook(b := s.event(id=UNKNOWN_SESSION), sign(b)), 200),
    ("CSRF missing", lambda s: csrf(s, None), 403),
    ("CSRF wrong", lambda s: csrf(s, "forged-token"), 403),
    ("CSRF missing on /cart", lambda s: csrf(s, None, "/cart"), 403),
    ("visitor cookie, MAC flipped", with_visitor(flipped, "/"), 200),
    ("visitor cookie, id only", with_visitor(lambda c: c.partition(".")[0], "/orders", True), 200),
    ("visitor cookie, garbage", with_visitor(lambda c: "x" * 4000, "/"), 200),
]


@pytest.fixture
async def scene(
    shopper: Shopper, other_shopper: Shopper, store_sandbox: SandboxServer, receiver: Receiver
) -> Scene:
    session = await other_shopper.start_checkout({"dripper-v60": "1"})
    await pay(store_sandbox, session)
    assert "Thank you: payment received" in (await other_shopper.success(session)).text
    [order] = await order_rows()
    webhook = await webhook_for(receiver, "checkout.session.completed", session)
    return Scene(shopper, other_shopper, session, order["id"], webhook)


@pytest.mark.parametrize(("what", "send", "status"), CASES, ids=[case[0] for case in CASES])
async def test_a_bad_or_hostile_request_is_refused_and_changes_nothing(
    scene: Scene, what: str, send: Send, status: int
) -> None:
    before = await order_rows()
    response = await send(scene)
    assert response.status_code == status, response.text[:500]
    assert scene.leaks(response) == []
    after = await order_rows()
    created = [row for row in after if row["id"] not in {o["id"] for o in before}]
    assert [row for row in after if row not in created] == before  # no order changed
    # Nothing stored but, at most, the attacker's own pending order (their Buy before the
    # forged event): never one for the victim or for nobody.
    if created:
        attacker = scene.attacker.http.cookies[COOKIE_NAME].split(".")[0]
        [row] = created
        assert (row["status"], row["visitor_id"]) == ("pending", attacker)
    if response.headers.get("content-type", "").startswith("text/html"):
        assert "<html" in response.text or 'id="' in response.text  # a page or a fragment


async def test_extra_fields_are_ignored_and_stripe_charges_the_database_price(
    scene: Scene, store_sandbox: SandboxServer
) -> None:
    extras = {
        "qty-mug-350": "2",
        "price_cents": "1",
        "unit_price_cents": "1",
        "total_cents": "1",
        "subtotal_cents": "1",
        "shipping_cents": "0",
        "shipping": "0",
        "currency": "eur",
        "status": "paid",
        "visitor_id": scene.victim.http.cookies["visitor"],
    }
    response = await scene.buy(extras)
    assert response.status_code == 200
    order = (await order_rows())[-1]
    # Two mugs at 18.00 (under the free-shipping threshold) and the flat 4.90 shipping.
    assert (order["subtotal_cents"], order["shipping_cents"]) == (3600, 490)
    assert (order["total_cents"], order["currency"], order["status"]) == (4090, "usd", "pending")
    assert order["visitor_id"] != scene.victim.http.cookies["visitor"].partition(".")[0]
    from tests.support.stripe_sandbox import get_json

    session = await get_json(store_sandbox, f"/v1/checkout/sessions/{order['stripe_session_id']}")
    assert (session["amount_total"], session["currency"]) == (4090, "usd")
    assert (session["amount_subtotal"], session["total_details"]["amount_shipping"]) == (3600, 490)
