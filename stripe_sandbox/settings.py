"""Sandbox settings: one frozen value, from SANDBOX_* variables or from the store that mounts it."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypedDict
from urllib.parse import urlsplit

MOUNT_PATH = "/stripe-sandbox"
STANDALONE_PORT = 12111
SQLITE_FILE_NAME = "stripe_sandbox.sqlite3"
_MIN_SECRET_KEY = 32


class SandboxSettingsError(RuntimeError):
    """The sandbox was asked to run with settings it refuses; the message names the variable."""


@dataclass(frozen=True, slots=True)
class SandboxKeys:
    """An API key and the secret that signs the webhooks of the account it opens."""

    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class Faults:
    """Trouble to inject: for tests and benchmarks, off by default."""

    latency_ms: int = 0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    hang_seconds: float = 90.0
    drop_rate: float = 0.0


@dataclass(frozen=True, slots=True)
class SandboxDatabase:
    """PostgreSQL at `url` when it is set, else the SQLite file at `sqlite_path`."""

    sqlite_path: Path
    url: str | None = field(default=None, repr=False)  # a DSN may carry a password


@dataclass(frozen=True, slots=True)
class SandboxSettings:
    api_key: str = field(repr=False)
    webhook_secret: str = field(repr=False)
    # Where hosted pages live as the buyer's browser sees them, e.g. https://shop/stripe-sandbox.
    public_url: str
    database: SandboxDatabase
    webhook_url: str | None = None
    settle_seconds: float = 5.0
    tick_seconds: float = 1.0
    retry_base_seconds: float = 60.0
    max_attempts: int = 8
    delivery_timeout_seconds: float = 10.0
    faults: Faults = Faults()

    @property
    def account(self) -> str:
        """Rows belong to the account a key opens, as at Stripe; a hash, never the key itself."""
        return hashlib.sha256(self.api_key.encode()).hexdigest()[:16]

    @property
    def csrf_secret(self) -> str:
        # Derived, not random: every worker of a standalone sandbox must accept the same tokens.
        return _derive(self.webhook_secret, f"csrf:{self.api_key}")


def load_sandbox_settings(
    env: Mapping[str, str], *, port: int | None = None, stored: SandboxKeys | None = None
) -> SandboxSettings:
    """The standalone sandbox (`python -m stripe_sandbox`), from SANDBOX_* variables.

    Its keys are SANDBOX_API_KEY and SANDBOX_WEBHOOK_SECRET where set, else the `stored` pair it
    made for itself: never a constant, which would open every reachable sandbox to anyone.
    """
    api_key = env.get("SANDBOX_API_KEY") or (stored.api_key if stored else "")
    webhook_secret = env.get("SANDBOX_WEBHOOK_SECRET") or (stored.webhook_secret if stored else "")
    if not api_key or not webhook_secret:
        raise SandboxSettingsError(
            "Set SANDBOX_API_KEY and SANDBOX_WEBHOOK_SECRET, or start the sandbox with "
            "`python -m stripe_sandbox`, which makes its own and keeps them in its database."
        )
    public_url = env.get("SANDBOX_PUBLIC_URL") or f"http://127.0.0.1:{port or STANDALONE_PORT}"
    webhook_url = env.get("SANDBOX_WEBHOOK_URL")
    return SandboxSettings(
        api_key=api_key,
        webhook_secret=webhook_secret,
        public_url=_http_url(public_url, "SANDBOX_PUBLIC_URL"),
        database=load_sandbox_database(env),
        webhook_url=_http_url(webhook_url, "SANDBOX_WEBHOOK_URL") if webhook_url else None,
        **_tuning(env),
    )


def load_sandbox_database(env: Mapping[str, str]) -> SandboxDatabase:
    """Only where the sandbox's tables are: all that Piccolo's command line needs."""
    url = env.get("SANDBOX_DATABASE_URL") or None
    if url and urlsplit(url).scheme not in {"postgres", "postgresql"}:
        raise SandboxSettingsError(
            "SANDBOX_DATABASE_URL must be a PostgreSQL URL (postgresql://…); "
            "leave it unset for a SQLite file at SANDBOX_SQLITE_PATH."
        )
    path = Path(env.get("SANDBOX_SQLITE_PATH") or SQLITE_FILE_NAME)
    return SandboxDatabase(sqlite_path=path.expanduser().resolve(), url=url)


def mounted_settings(
    *,
    secret_key: str,
    public_url: str,
    webhook_url: str,
    webhook_secret: str | None,
    database_url: str | None,
    sqlite_path: Path,
    env: Mapping[str, str] | None = None,
) -> SandboxSettings:
    """The sandbox inside a store: its pages under public_url + MOUNT_PATH, keys from secret_key.

    `env`, when given, supplies the tuning and fault variables (SANDBOX_LATENCY_MS, …) only.
    """
    if len(secret_key) < _MIN_SECRET_KEY:
        raise SandboxSettingsError(
            f"The mounted sandbox needs the store's secret key of at least {_MIN_SECRET_KEY} "
            "characters to derive its API key and signing secret from."
        )
    database = load_sandbox_database(
        {"SANDBOX_DATABASE_URL": database_url or "", "SANDBOX_SQLITE_PATH": str(sqlite_path)}
    )
    return SandboxSettings(
        # Derived, so every worker agrees and no guessable constant opens a public store's sandbox.
        api_key="sk_test_" + _derive(secret_key, "stripe-sandbox-api-key"),
        # A webhook secret the store was given is what it verifies with: sign with it then.
        webhook_secret=webhook_secret or "whsec_" + _derive(secret_key, "stripe-sandbox-webhook"),
        public_url=_http_url(public_url, "public_url").rstrip("/") + MOUNT_PATH,
        database=database,
        webhook_url=_http_url(webhook_url, "webhook_url"),
        **_tuning(env or {}),
    )


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
        raise SandboxSettingsError(f"{name} must be a number, not {text[:20]!r}.") from None
    if not low <= value <= high:
        raise SandboxSettingsError(f"{name} must be between {low:g} and {high:g}.")
    return value


def _http_url(value: str, name: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SandboxSettingsError(f"{name} must be an absolute http(s) URL.")
    return value.strip().rstrip("/")
