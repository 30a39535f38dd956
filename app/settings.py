"""The environment, read once into typed settings that refuse unsafe combinations."""

from __future__ import annotations

import contextlib
import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from app.catalog.shipping import STRIPE_SHIPS_TO

PROJECT_ROOT = Path(__file__).resolve().parent.parent

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"", "0", "false", "no", "off"}


class SettingsError(RuntimeError):
    """The environment asks for something the store will not run with."""


@dataclass(frozen=True, slots=True)
class DatabaseSettings:
    """Where a database lives: PostgreSQL at `url` when it is set, else a SQLite file."""

    url: str | None = field(default=None, repr=False)  # a DSN may carry a password
    sqlite_path: Path = PROJECT_ROOT / "shop.sqlite3"

    @property
    def engine_name(self) -> str:
        return "postgres" if self.url else "sqlite"


@dataclass(frozen=True, slots=True)
class Settings:
    database: DatabaseSettings
    secret_key: str = field(default="", repr=False)
    public_url: str = "http://127.0.0.1:8000"
    host: str = "127.0.0.1"
    port: int = 8000
    debug: bool = False
    # Stripe: with no secret key the store mounts the Stripe sandbox (stripe_sandbox/).
    stripe_secret_key: str | None = field(default=None, repr=False)
    stripe_webhook_secret: str | None = field(default=None, repr=False)
    stripe_api_base: str | None = None
    stripe_timeout_seconds: float = 10.0
    # Buys one client address may make per minute (0: no limit); see app/orders/throttle.py.
    checkout_limit_per_minute: int = 20
    # Proxies whose X-Forwarded-For names the client; the peer address is used otherwise.
    trusted_proxies: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Where Checkout lets buyers ship to (ISO 3166-1 alpha-2 codes).
    ship_to_countries: tuple[str, ...] = ("US", "CA")
    # Worker processes serving the store (WEB_CONCURRENCY, as uvicorn reads it): on SQLite more
    # than one means polling instead of streams (app/live/wiring.py).
    workers: int = 1
    # Live streams: a heartbeat comment this often, and a reconnect after this long.
    live_heartbeat_seconds: float = 15.0
    live_lifetime_seconds: float = 600.0
    # Streams one worker holds per client address and in all (app/live/limits.py).
    live_streams_per_address: int = 32
    live_streams_per_worker: int = 2000
    # The mounted sandbox keeps its own database, never the store's.
    sandbox_database: DatabaseSettings = DatabaseSettings(
        sqlite_path=PROJECT_ROOT / "stripe_sandbox.sqlite3"
    )

    @property
    def sandbox_mode(self) -> bool:
        return self.stripe_secret_key is None

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Every setting, checked; called once by each entry point, never at import."""
    env = os.environ if env is None else env
    public_url = _public_url(env.get("PUBLIC_URL", "http://127.0.0.1:8000"))
    debug = _flag(env, "DEBUG")
    secret_key = _secret_key(env, public_url=public_url, debug=debug)
    stripe_secret_key = env.get("STRIPE_SECRET_KEY") or None
    _refuse_fake_payments_in_public(public_url, stripe_secret_key, _flag(env, "STRIPE_SANDBOX"))
    return Settings(
        database=load_database_settings(env),
        secret_key=secret_key,
        public_url=public_url,
        host=env.get("HOST") or "127.0.0.1",
        port=int(_number(env, "PORT", "8000", 1, 65535, whole=True)),
        debug=debug,
        stripe_secret_key=stripe_secret_key,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=_optional_url(env, "STRIPE_API_BASE"),
        stripe_timeout_seconds=_number(env, "STRIPE_TIMEOUT_SECONDS", "10", 0.1, 120),
        # 0: no limit.
        checkout_limit_per_minute=int(
            _number(env, "CHECKOUT_LIMIT_PER_MINUTE", "20", 0, 10_000, whole=True)
        ),
        trusted_proxies=_networks(env.get("TRUSTED_PROXIES", "")),
        ship_to_countries=_countries(env.get("SHIP_TO_COUNTRIES") or "US,CA"),
        workers=int(_number(env, "WEB_CONCURRENCY", "1", 1, 512, whole=True)),
        live_heartbeat_seconds=_number(env, "LIVE_HEARTBEAT_SECONDS", "15", 1, 300),
        live_lifetime_seconds=_number(env, "LIVE_LIFETIME_SECONDS", "600", 5, 86_400),
        live_streams_per_address=int(
            _number(env, "LIVE_STREAMS_PER_ADDRESS", "32", 1, 10**6, whole=True)
        ),
        live_streams_per_worker=int(
            _number(env, "LIVE_STREAMS_PER_WORKER", "2000", 1, 10**6, whole=True)
        ),
        sandbox_database=DatabaseSettings(
            url=env.get("SANDBOX_DATABASE_URL") or None,
            sqlite_path=Path(
                env.get("SANDBOX_SQLITE_PATH") or PROJECT_ROOT / "stripe_sandbox.sqlite3"
            ),
        ),
    )


def load_database_settings(env: Mapping[str, str] | None = None) -> DatabaseSettings:
    """Only where the store's database is: what Piccolo's command line needs (piccolo_conf.py)."""
    env = os.environ if env is None else env
    return DatabaseSettings(
        url=env.get("DATABASE_URL") or None,
        sqlite_path=Path(env.get("SQLITE_PATH") or PROJECT_ROOT / "shop.sqlite3"),
    )


def _refuse_fake_payments_in_public(
    public_url: str, stripe_secret_key: str | None, sandbox_asked_for: bool
) -> None:
    if stripe_secret_key and sandbox_asked_for:
        raise SettingsError(
            "STRIPE_SANDBOX=on and STRIPE_SECRET_KEY are both set: unset one of them."
        )
    # A forgotten key on a public site would let anyone "pay" with a test card for real goods.
    if public_url.startswith("https://") and not stripe_secret_key and not sandbox_asked_for:
        raise SettingsError(
            "STRIPE_SECRET_KEY is not set, and this site is public (PUBLIC_URL is https): set "
            "STRIPE_SECRET_KEY and STRIPE_WEBHOOK_SECRET, or STRIPE_SANDBOX=on for a public demo "
            "whose payments are simulated."
        )


def _flag(env: Mapping[str, str], name: str) -> bool:
    value = env.get(name, "").strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off.")


def _number(
    env: Mapping[str, str], name: str, default: str, low: float, high: float, *, whole: bool = False
) -> float:
    value = (env.get(name) or default).strip()
    number: float = low - 1  # anything unreadable is out of range
    if whole and value.isascii() and value.isdigit():
        number = int(value)
    elif not whole:
        with contextlib.suppress(ValueError):
            number = float(value)
    if not low <= number <= high:
        kind = "a whole number" if whole else "a number of seconds"
        raise SettingsError(f"{name} must be {kind} from {low:g} to {high:g}.")
    return number


def _networks(value: str) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError:
            raise SettingsError(
                f"TRUSTED_PROXIES: {item!r} is not an IP address or network (e.g. 10.0.0.0/8); "
                "separate several with commas."
            ) from None
    return tuple(networks)


def _countries(value: str) -> tuple[str, ...]:
    codes = tuple(dict.fromkeys(part.strip().upper() for part in value.split(",") if part.strip()))
    bad = [code for code in codes if not (len(code) == 2 and code.isascii() and code.isalpha())]
    if bad or not codes:
        raise SettingsError(
            "SHIP_TO_COUNTRIES must be two-letter country codes separated by commas, e.g. US,CA"
            + (f" ({', '.join(bad)} is not one)." if bad else ".")
        )
    if unknown := [code for code in codes if code not in STRIPE_SHIPS_TO]:
        raise SettingsError(
            f"SHIP_TO_COUNTRIES: Stripe Checkout cannot ship to {', '.join(unknown)} "
            "(not a country code it accepts)."
        )
    return codes


def _public_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            "PUBLIC_URL must be an absolute http(s) URL, e.g. https://shop.example."
        )
    return value.strip().rstrip("/")


def _optional_url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name} must be an absolute http(s) URL.")
    return value.rstrip("/")


def _secret_key(env: Mapping[str, str], *, public_url: str, debug: bool) -> str:
    if key := env.get("SECRET_KEY", ""):
        if len(key) < 32:
            raise SettingsError("SECRET_KEY must be at least 32 characters long.")
        return key
    if public_url.startswith("https://") and not debug:
        raise SettingsError(
            "SECRET_KEY is not set. A site served over https needs a fixed secret key: "
            "set SECRET_KEY to at least 32 random characters, e.g. the output of "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`."
        )
    return _local_key(Path(env.get("SECRET_KEY_FILE") or PROJECT_ROOT / ".secret_key"))


def _local_key(path: Path) -> str:
    """A development key made once and kept beside the project, shared by every worker."""
    if path.exists():
        return path.read_text().strip()
    draft = path.with_name(f"{path.name}.{secrets.token_hex(4)}.tmp")
    draft.write_text(secrets.token_urlsafe(48))
    draft.chmod(0o600)
    try:
        # link() fails if another process got there first; its key wins and ours is dropped.
        os.link(draft, path)
    except FileExistsError:
        pass
    finally:
        draft.unlink()
    return path.read_text().strip()
