"""The sandbox inside the store (no STRIPE_SECRET_KEY), under /stripe-sandbox."""

from __future__ import annotations

import httpx

from app.settings import Settings
from stripe_sandbox import MOUNT_PATH, SandboxSettings, mounted_settings
from tests.support.stripe_sandbox import submit_card


def sandbox_of(settings: Settings, secret_key: str | None = None) -> SandboxSettings:
    """What the store mounts, built the way the store builds it (with another key if given)."""
    return mounted_settings(
        secret_key=secret_key or settings.secret_key,
        public_url=settings.public_url,
        webhook_url=settings.public_url + "/webhooks/stripe",
        webhook_secret=settings.stripe_webhook_secret,
        database_url=settings.sandbox_database.url,
        sqlite_path=settings.sandbox_database.sqlite_path,
    )


async def test_the_store_mounts_the_sandbox_api_and_its_hosted_page(
    settings: Settings, store_client: httpx.AsyncClient
) -> None:
    sandbox = sandbox_of(settings)
    form = {
        "success_url": f"{settings.public_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        "line_items[0][price_data][currency]": "usd",
        "line_items[0][price_data][unit_amount]": "1450",
        "line_items[0][price_data][product_data][name]": "House blend beans, 250 g",
        "line_items[0][quantity]": "1",
    }
    headers = {"Authorization": f"Bearer {sandbox.api_key}"}

    created = await store_client.post(
        f"{MOUNT_PATH}/v1/checkout/sessions", data=form, headers=headers
    )

    assert created.status_code == 200, created.text
    session = created.json()
    assert session["url"] == f"{settings.public_url}/stripe-sandbox/pay/{session['id']}"
    page = await store_client.get(session["url"])
    assert page.status_code == 200
    assert "TEST MODE" in page.text
    assert 'name="_csrf_token"' in page.text
    stylesheet = await store_client.get(f"{MOUNT_PATH}/static/sandbox.css")
    assert stylesheet.status_code == 200 and "test-banner" in stylesheet.text
    # The store's CSRF protection guards the mounted page's forms, and lets its own token pass.
    paid = await submit_card(store_client, session["url"], "4242 4242 4242 4242")
    assert paid.status_code == 303, paid.text
    assert (
        paid.headers["location"]
        == f"{settings.public_url}/checkout/success?session_id={session['id']}"
    )
    refused = await store_client.post(session["url"], data={"cardNumber": "4242424242424242"})
    assert refused.status_code == 403


async def test_mounted_api_errors_are_json_in_stripes_shape(
    settings: Settings, store_client: httpx.AsyncClient
) -> None:
    missing = await store_client.get(
        "/stripe-sandbox/v1/checkout/sessions/cs_test_none",
        headers={"Authorization": f"Bearer {sandbox_of(settings).api_key}"},
    )
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "resource_missing"
    unknown = await store_client.get("/stripe-sandbox/v1/customers")
    assert unknown.status_code == 404
    assert unknown.json()["error"]["type"] == "invalid_request_error"


def test_the_mounted_keys_are_derived_from_the_stores_secret_key(settings: Settings) -> None:
    sandbox = sandbox_of(settings)
    other = sandbox_of(settings, secret_key="another-" + "k" * 40)
    assert sandbox.public_url == settings.public_url + MOUNT_PATH
    assert sandbox.webhook_url == f"{settings.public_url}/webhooks/stripe"
    assert sandbox.api_key.startswith("sk_test_") and sandbox.api_key != "sk_test_sandbox"
    assert sandbox.webhook_secret.startswith("whsec_")
    assert sandbox.api_key != other.api_key and sandbox.webhook_secret != other.webhook_secret
    for secret in (sandbox.api_key, sandbox.webhook_secret):
        assert settings.secret_key not in secret
        assert secret not in repr(sandbox)
    assert "whsec_" not in repr(sandbox) and "sk_test_" not in repr(sandbox)
