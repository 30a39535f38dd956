"""Which Stripe the store talks to: real Stripe with keys, else the sandbox mounted in-process."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from litestar.di import NamedDependency
from litestar.plugins import PluginProtocol

from app.payments.gateway import GatewayConfig, PaymentGateway
from app.settings import Settings

logger = logging.getLogger("app.payments")

# The one gateway create_app() provides to every handler that talks to Stripe.
Gateway = NamedDependency[PaymentGateway]


@dataclass(frozen=True)
class PaymentWiring:
    config: GatewayConfig
    plugins: Sequence[PluginProtocol] = ()


def payment_wiring(settings: Settings) -> PaymentWiring:
    """Real Stripe when STRIPE_SECRET_KEY is set; otherwise the sandbox mounted in this process."""
    if settings.stripe_secret_key:
        return PaymentWiring(
            GatewayConfig(
                api_key=settings.stripe_secret_key,
                webhook_secret=settings.stripe_webhook_secret,
                api_base=settings.stripe_api_base,
                timeout_seconds=settings.stripe_timeout_seconds,
            )
        )
    # Imported here so that a store with real keys never loads the sandbox.
    from stripe_sandbox import MOUNT_PATH, SandboxPlugin, mounted_settings

    sandbox = mounted_settings(
        secret_key=settings.secret_key,
        public_url=settings.public_url,
        webhook_url=settings.public_url + "/webhooks/stripe",
        webhook_secret=settings.stripe_webhook_secret,
        database_url=settings.sandbox_database.url,
        sqlite_path=settings.sandbox_database.sqlite_path,
    )
    return PaymentWiring(
        GatewayConfig(
            api_key=sandbox.api_key,
            webhook_secret=sandbox.webhook_secret,
            # The gateway reaches the mounted sandbox over loopback, like any Stripe client.
            api_base=settings.stripe_api_base or f"http://127.0.0.1:{settings.port}{MOUNT_PATH}",
            timeout_seconds=settings.stripe_timeout_seconds,
        ),
        plugins=[SandboxPlugin(sandbox)],
    )


def announce_simulated_payments() -> None:
    logger.warning(
        "STRIPE SANDBOX ON: payments are simulated and nothing is charged. "
        "Set STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET to take real payments."
    )


def checkout_origins(settings: Settings) -> list[str]:
    """Where a plain (no-JavaScript) Buy may be redirected: CSP form-action covers redirects."""
    origins = ["https://checkout.stripe.com"] if settings.stripe_secret_key else []
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins
