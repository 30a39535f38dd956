"""Sandbox configuration: one frozen value, built from the store's Settings or the environment."""

from __future__ import annotations

import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TypedDict
from urllib.parse import urlsplit

from app.settings import Settings, SettingsError

DEFAULT_API_KEY = "sk_test_sandbox"
MOUNT_PATH = "/stripe-sandbox"
STANDALONE_PORT = 12111


@dataclass(frozen=True, slots=True)
class Faults:
    """Trouble to inject: for tests and benchmarks, off by default."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    hang_seconds: float = 90.0
    drop_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class SandboxConfig:
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    # Where hosted pages live as the buyer's browser sees them, e.g. https://shop/stripe-sandbox.
    public_url: str
    webhook_url: str | None = None
    settle_seconds: float = 5.0
    tick_seconds: float = 1.0
    retry_base_seconds: float = 60.0
    max_attempts: int = 8
    delivery_timeout_seconds: float = 10.0
    faults: Faults = Faults()

    @property
    def account(self) -> str:
        """Rows belong to the account a key opens, so two sandboxes can share one database."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:16]

    @property
    def csrf_secret(self) -> str:
        # Derived, not random: every worker of a standalone sandbox must accept the same tokens.
        return _derive(self.webhook_secret, f"csrf:{self.api_key}")

    @classmethod
    def from_settings(
        cls, settings: Settings, env: Mapping[str, str] | None = None
    ) -> SandboxConfig:
        """The sandbox mounted in the store: pages and webhooks on the store's own address."""
        env = os.environ if env is None else env
        return cls(
            api_key=env.get("SANDBOX_API_KEY") or DEFAULT_API_KEY,
            # STRIPE_WEBHOOK_SECRET, if set, is what the store verifies with: sign with it then.
            webhook_secret=settings.stripe_webhook_secret
            or sandbox_webhook_secret(settings.secret_key),
            public_url=settings.public_url + MOUNT_PATH,
            webhook_url=settings.public_url + "/webhooks/stripe",
            **_tuning(env),
        )

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, *, port: int | None = None
    ) -> SandboxConfig:
        """The standalone sandbox: `python -m app.sandbox --port N`."""
        env = os.environ if env is None else env
        api_key = env.get("SANDBOX_API_KEY") or DEFAULT_API_KEY
        public_url = env.get("SANDBOX_PUBLIC_URL") or f"http://127.0.0.1:{port or STANDALONE_PORT}"
        return cls(
            api_key=api_key,
            webhook_secret=env.get("SANDBOX_WEBHOOK_SECRET") or "whsec_" + _derive(api_key, "wh"),
            public_url=_url(public_url, "SANDBOX_PUBLIC_URL"),
            webhook_url=_url(env["SANDBOX_WEBHOOK_URL"], "SANDBOX_WEBHOOK_URL")
            if env.get("SANDBOX_WEBHOOK_URL")
            else None,
            **_tuning(env),
        )


def sandbox_webhook_secret(secret_key: str) -> str:
    """The store's signing secret in sandbox mode: the same in every worker, never stored."""
    return "whsec_" + _derive(secret_key, "stripe-sandbox-webhook")


def api_base_for(settings: Settings) -> str:
    """Where the store's Stripe client reaches the mounted sandbox: this process, by loopback."""
    return f"http://127.0.0.1:{settings.port}{MOUNT_PATH}"


def _derive(key: str, purpose: str) -> str:
    return hmac.new(key.encode(), purpose.encode(), hashlib.sha256).hexdigest()[:32]


class _Tuning(TypedDict):
    settle_seconds: float
    tick_seconds: float
    retry_base_seconds: float
    max_attempts: int
    delivery_timeout_seconds: float
    faults: Faults


def _tuning(env: Mapping[str, str]) -> _Tuning:
    return {
        "settle_seconds": _number(env, "SANDBOX_SETTLE_SECONDS", 5.0),
        "tick_seconds": _number(env, "SANDBOX_TICK_SECONDS", 1.0, low=0.01),
        "retry_base_seconds": _number(env, "SANDBOX_RETRY_SECONDS", 60.0),
        "max_attempts": int(_number(env, "SANDBOX_MAX_ATTEMPTS", 8, low=1, high=50)),
        "delivery_timeout_seconds": _number(env, "SANDBOX_DELIVERY_TIMEOUT", 10.0, low=0.1),
        "faults": Faults(
            latency_ms=int(_number(env, "SANDBOX_LATENCY_MS", 0, high=600_000)),
            error_rate=_number(env, "SANDBOX_ERROR_RATE", 0.0, high=1.0),
            timeout_rate=_number(env, "SANDBOX_TIMEOUT_RATE", 0.0, high=1.0),
            hang_seconds=_number(env, "SANDBOX_HANG_SECONDS", 90.0, high=3600),
            drop_rate=_number(env, "SANDBOX_DROP_RATE", 0.0, high=1.0),
        ),
    }


def _number(
    env: Mapping[str, str], name: str, default: float, *, low: float = 0, high: float = 86_400
) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise SettingsError(f"{name} must be a number.") from None
    if not low <= value <= high:
        raise SettingsError(f"{name} must be between {low:g} and {high:g}.")
    return value


def _url(value: str, name: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name} must be an absolute http(s) URL.")
    return value.strip().rstrip("/")
