"""The sandbox inside the store (no STRIPE_SECRET_KEY), under /stripe-sandbox."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
import pytest

from app.sandbox import SandboxConfig, api_base_for, sandbox_webhook_secret
from app.settings import get_settings


@pytest.fixture
async def store(app: object) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url=os.environ["PUBLIC_URL"]) as http:
        yield http


async def test_the_store_mounts_the_sandbox_and_says_payments_are_simulated(
    store: httpx.AsyncClient,
) -> None:
    settings = get_settings()
    config = SandboxConfig.from_settings(settings)
    form = {
        "success_url": f"{settings.public_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "1450",
        "line_items[0][price_data][product_data][name]": "House blend beans, 250 g",
        "line_items[0][quantity]": "1",
    }
    headers = {"Authorization": f"Bearer {config.api_key}"}

    created = await store.post("/stripe-sandbox/v1/checkout/sessions", data=form, headers=headers)

    assert created.status_code == 200, created.text
    session = created.json()
    assert session["url"] == f"{settings.public_url}/stripe-sandbox/pay/{session['id']}"
    page = await store.get(session["url"])
    assert page.status_code == 200
    assert "TEST MODE" in page.text
    assert 'name="_csrf_token"' in page.text
    shop = await store.get("/")
    assert "Test mode: payments are simulated" in shop.text


async def test_mounted_api_errors_are_json_in_stripes_shape(store: httpx.AsyncClient) -> None:
    missing = await store.get(
        "/stripe-sandbox/v1/checkout/sessions/cs_test_none",
        headers={"Authorization": f"Bearer {SandboxConfig.from_settings(get_settings()).api_key}"},
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"
    unknown = await store.get("/stripe-sandbox/v1/customers")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"


def test_the_store_reaches_the_sandbox_by_loopback_with_a_derived_secret() -> None:
    settings = get_settings()
    config = SandboxConfig.from_settings(settings)
    assert api_base_for(settings) == f"http://127.0.0.1:{settings.port}/stripe-sandbox"
    assert config.webhook_url == f"{settings.public_url}/webhooks/stripe"
    assert config.webhook_secret == sandbox_webhook_secret(settings.secret_key)
    assert config.webhook_secret.startswith("whsec_")
    assert settings.secret_key not in config.webhook_secret
    assert "whsec_" not in repr(config) and config.api_key not in repr(config)
