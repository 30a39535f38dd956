"""A standalone Stripe sandbox and a webhook receiver for tests, shared by every test package."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit, urlunsplit

import httpx
import pytest
import stripe
import uvicorn

from tests.support.database import clean_environment, migrate, run_sql
from tests.support.http import ROOT, csrf_token, free_port

API_KEY = "sk_test_contract"
WEBHOOK_SECRET = "whsec_contract_tests_only"


@dataclass
class Delivery:
    body: bytes
    signature: str
    status: int


@dataclass
class Receiver:
    """The shop's side in these tests: takes webhooks (failing on request) and success pages."""

    url: str
    deliveries: list[Delivery] = field(default_factory=list)
    fail_next: int = 0

    def for_event(self, event_id: str) -> list[Delivery]:
        return [d for d in self.deliveries if f'"id": "{event_id}"'.encode() in d.body]

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["method"] == "POST" and scope["path"] == "/webhook":
            status = 500 if self.fail_next else 200
            self.fail_next = max(0, self.fail_next - 1)
            headers = dict(scope["headers"])
            signature = headers.get(b"stripe-signature", b"").decode()
            self.deliveries.append(Delivery(body=body, signature=signature, status=status))
            await _answer(send, status, b"ok", "text/plain")
        else:
            page = b"<!doctype html><html lang=en><title>Shop</title><h1>Thank you</h1></html>"
            await _answer(send, 200, page, "text/html; charset=utf-8")


async def _answer(send: Any, status: int, body: bytes, content_type: str) -> None:
    headers = [(b"content-type", content_type.encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


@pytest.fixture(scope="session")
async def receiver() -> AsyncIterator[Receiver]:
    port = free_port()
    shop = Receiver(url=f"http://127.0.0.1:{port}")
    config = uvicorn.Config(shop, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    await eventually(_started(server), within=10)
    yield shop
    server.should_exit = True
    await task


@dataclass
class SandboxServer:
    url: str
    process: subprocess.Popen[bytes]
    api_key: str = API_KEY


@contextmanager
def standalone_sandbox(
    receiver: Receiver, *, api_key: str = API_KEY, **settings: str
) -> Iterator[SandboxServer]:
    """`python -m stripe_sandbox`'s app, plus the test-only control routes, in its own process.

    Each instance has a database of its own, migrated before it starts and gone when it stops.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with own_database() as database:
        env = {
            **clean_environment(os.environ),
            **database,
            "SANDBOX_API_KEY": api_key,
            "SANDBOX_WEBHOOK_SECRET": WEBHOOK_SECRET,
            "SANDBOX_WEBHOOK_URL": f"{receiver.url}/webhook",
            "SANDBOX_PUBLIC_URL": url,
            "SANDBOX_TICK_SECONDS": "0.05",
            "SANDBOX_SETTLE_SECONDS": "0.2",
            "SANDBOX_RETRY_SECONDS": "0.1",
            "SANDBOX_MAX_ATTEMPTS": "3",
            "SANDBOX_DELIVERY_TIMEOUT": "2",
            "SANDBOX_HANG_SECONDS": "5",
            **settings,
        }
        migrate(env, "-m", "stripe_sandbox", "migrate")
        command = [sys.executable, "-m", "uvicorn", "--factory", _FACTORY]
        process = subprocess.Popen(
            [*command, "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )
        try:
            _wait_until_up(url, process, api_key)
            yield SandboxServer(url=url, process=process, api_key=api_key)
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


_FACTORY = "tests.stripe_sandbox.server:testing_app"


@contextmanager
def own_database() -> Iterator[dict[str, str]]:
    """A fresh PostgreSQL database when TEST_DATABASE_URL is set, else a temporary SQLite file."""
    admin_url = os.environ.get("TEST_DATABASE_URL")
    if not admin_url:
        with tempfile.TemporaryDirectory(prefix="stripe-sandbox-") as folder:
            yield {"SANDBOX_SQLITE_PATH": str(Path(folder) / "stripe_sandbox.sqlite3")}
        return
    name = f"stripe_sandbox_test_{secrets.token_hex(4)}"
    _postgres(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield {"SANDBOX_DATABASE_URL": urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))}
    finally:
        _postgres(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _postgres(admin_url: str, statement: str) -> None:
    # In a thread of its own: run_sql starts an event loop, and callers may be inside one.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(run_sql, admin_url, statement).result()


@pytest.fixture(scope="session")
def sandbox(receiver: Receiver) -> Iterator[SandboxServer]:
    with standalone_sandbox(receiver) as server:
        yield server


def _wait_until_up(url: str, process: subprocess.Popen[bytes], api_key: str) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the sandbox exited with {process.returncode}")
        try:
            headers = {"Authorization": f"Bearer {api_key}"}
            if httpx.get(f"{url}/v1/events", headers=headers, timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.1)
    raise RuntimeError("the sandbox did not answer within 20 s")


def make_client(url: str, *, key: str = API_KEY, timeout: float = 10, retries: int = 0) -> Any:
    return stripe.StripeClient(
        key,
        http_client=stripe.HTTPXClient(timeout=timeout),
        base_addresses={"api": url},
        max_network_retries=retries,
    )


@pytest.fixture
async def faults(sandbox: SandboxServer) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    async with fault_control(sandbox) as set_faults:
        yield set_faults


@asynccontextmanager
async def fault_control(sandbox: SandboxServer) -> AsyncIterator[Callable[..., Awaitable[None]]]:
    """Set a sandbox's faults through its test-only control route; all cleared on leaving."""
    async with httpx.AsyncClient(base_url=sandbox.url) as control:

        async def set_faults(**values: float) -> None:
            response = await control.put("/_sandbox/faults", json=values)
            assert response.status_code == 200, response.text

        yield set_faults
        await set_faults()


FUTURE_EXPIRY = f"12 / {(date.today().year + 3) % 100:02d}"
CARD_ACTION = re.compile(r'<form class="card-form" method="post" action="([^"]+)"')
LATER_ACTION = re.compile(r'<form method="post" action="([^"]+/later)"')
# What a buyer types when the page asks where to ship (the country: the page's own choice).
DEFAULT_ADDRESS = {
    "shippingName": "Ada Lovelace",
    "shippingAddressLine1": "12 Analytical Row",
    "shippingAddressLine2": "Flat 3",
    "shippingLocality": "Springfield",
    "shippingAdministrativeArea": "IL",
    "shippingPostalCode": "62701",
}
_COUNTRY_SELECT = re.compile(
    r'<select id="shippingCountry" name="shippingCountry"[^>]*>(.*?)</select>', re.S
)
_OPTION = re.compile(r'<option value="([A-Z]{2})"( selected)?>')


async def after_decline(http: httpx.AsyncClient, response: httpx.Response) -> httpx.Response:
    """A failed payment answers 303 back to the pay page (post/redirect/get): that page, as
    the browser then shows it (with the cookie that keeps what was typed)."""
    assert response.status_code == 303, (response.status_code, response.text)
    location = response.headers["location"]
    assert "?declined=" in location, location
    page = await http.get(response.url.join(location))
    assert page.status_code == 200, page.text
    return page


async def submit_card(
    http: httpx.AsyncClient,
    url: str,
    number: str,
    *,
    expiry: str = FUTURE_EXPIRY,
    cvc: str = "123",
    email: str = "ada@example.com",
    name: str = "Ada Lovelace",
    address: dict[str, str] | None = None,
) -> httpx.Response:
    """What a buyer does: open the hosted page, fill in the card form, press Pay.

    When the page asks for a shipping address, DEFAULT_ADDRESS (in the country the page offers
    first) is typed, with `address` written over it field by field.
    """
    page = await http.get(url)
    assert page.status_code == 200, page.text
    action = CARD_ACTION.search(page.text)
    assert action, "the page has no card form"
    form = {
        "_csrf_token": csrf_token(page.text),
        "email": email,
        "cardNumber": number,
        "cardExpiry": expiry,
        "cardCvc": cvc,
        "billingName": name,
        **shipping_address(page.text, address),
    }
    return await http.post(urljoin(url, action.group(1)), data=form)


def shipping_address(page: str, address: dict[str, str] | None = None) -> dict[str, str]:
    """The address fields a buyer fills in on `page`: none if it asks for none (unless given)."""
    select = _COUNTRY_SELECT.search(page)
    if select is None:
        return dict(address or {})
    options = _OPTION.findall(select.group(1))
    assert options, "the country list is empty"
    country = next((code for code, selected in options if selected), options[0][0])
    return {**DEFAULT_ADDRESS, "shippingCountry": country, **(address or {})}


async def fill_address(page: Any, address: dict[str, str] | None = None) -> None:
    """In a browser (a Playwright page): where the hosted page asks where to ship, type
    DEFAULT_ADDRESS with `address` written over it; a page that asks for none is left alone."""
    if not await page.locator("#shippingName").count():
        return
    for name, value in {**DEFAULT_ADDRESS, **(address or {})}.items():
        if name == "shippingCountry":
            await page.select_option(f"#{name}", value)
        else:
            await page.fill(f"#{name}", value)


async def submit_later(
    http: httpx.AsyncClient,
    url: str,
    *,
    outcome: str,
    email: str = "ada@example.com",
    address: dict[str, str] | None = None,
) -> httpx.Response:
    page = await http.get(url)
    action = LATER_ACTION.search(page.text)
    assert action, "the page offers no delayed payment method"
    form = {
        "_csrf_token": csrf_token(page.text),
        "email": email,
        "outcome": outcome,
        **shipping_address(page.text, address),
    }
    return await http.post(urljoin(url, action.group(1)), data=form)


async def eventually(check: Callable[[], Awaitable[Any]], *, within: float = 10) -> Any:
    """Poll until `check` returns something truthy; the background loop works at its own pace."""
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError("the condition did not come true in time")
        await asyncio.sleep(0.05)


def _started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def check() -> bool:
        return bool(server.started)

    return check


async def control(sandbox: SandboxServer, path: str) -> dict[str, Any]:
    """POST to a test-only control route of the sandbox."""
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        response = await http.post(path)
        assert response.status_code in (200, 201), response.text
        result: dict[str, Any] = response.json()
        return result


async def backdate(sandbox: SandboxServer, session_id: str) -> None:
    """Put an open session past its expiry; the sandbox expires it on its next pass."""
    assert (await control(sandbox, f"/_sandbox/sessions/{session_id}/backdate"))["backdated"] == 1


async def settle_now(sandbox: SandboxServer, session_id: str) -> None:
    """Let a delayed payment settle on the sandbox's next pass."""
    assert (await control(sandbox, f"/_sandbox/sessions/{session_id}/settle"))["settling"] == 1


async def refund(sandbox: SandboxServer, payment_intent: str, amount: int | None = None) -> Any:
    client = make_client(sandbox.url, key=sandbox.api_key)
    params: dict[str, Any] = {"payment_intent": payment_intent}
    if amount is not None:
        params["amount"] = amount
    return await client.v1.refunds.create_async(params)


async def get_json(sandbox: SandboxServer, path: str) -> Any:
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        response = await http.get(path, headers={"Authorization": f"Bearer {sandbox.api_key}"})
        assert response.status_code == 200, response.text
        return response.json()


async def delivery_of(
    sandbox: SandboxServer, session_id: str, event_type: str = "checkout.session.completed"
) -> dict[str, Any] | None:
    """How the sandbox fared sending a session's event (delivered, attempts, last_status, …).

    Read through test-only control routes, which the API's injected faults leave alone.
    """
    async with httpx.AsyncClient(base_url=sandbox.url) as http:
        listed = await http.get(f"/_sandbox/sessions/{session_id}/events")
        assert listed.status_code == 200, listed.text
        ids = [event["id"] for event in listed.json() if event["type"] == event_type]
        if not ids:
            return None
        response = await http.get(f"/_sandbox/events/{ids[0]}/delivery")
        assert response.status_code == 200, response.text
        result: dict[str, Any] = response.json()
        return result
