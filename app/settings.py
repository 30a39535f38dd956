"""The environment, read once into typed settings that refuse unsafe combinations."""

from __future__ import annotations

import ipaddress
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from app.mail.config import MailSettings, load_mail_settings
from app.setting_values import (
    SettingsError,
    absolute_url,
    choice,
    countries,
    flag,
    networks,
    number,
    optional_url,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
LOOPBACK = (ipaddress.ip_network("127.0.0.0/8"), ipaddress.ip_network("::1/128"))


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
    mail: MailSettings = field(default_factory=MailSettings)
    # Streams one worker holds per client address and in all (app/live/limits.py).
    live_streams_per_address: int = 32
    live_streams_per_worker: int = 2000
    # The mounted sandbox keeps its own database, never the store's.
    sandbox_database: DatabaseSettings = DatabaseSettings(
        sqlite_path=PROJECT_ROOT / "stripe_sandbox.sqlite3"
    )
    # How long a starting server waits for its database (it may start beside it).
    database_wait_seconds: float = 30.0
    # Prometheus metrics: the request middleware and /metrics (off: neither).
    metrics: bool = True
    # Who may read /metrics (README "Health, metrics and logs"); everyone else gets a 404.
    metrics_allow: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = LOOPBACK
    # Where the workers of one server keep their counts (prometheus_client's multiprocess mode).
    metrics_dir: Path | None = None
    log_format: str = "text"  # or "json": one JSON object a line
    log_level: str = "INFO"

    @property
    def sandbox_mode(self) -> bool:
        return self.stripe_secret_key is None

    @property
    def https(self) -> bool:
        return self.public_url.startswith("https://")


def load_settings(env: Mapping[str, str] | None = None) -> Settings:
    """Every setting, checked; called once by each entry point, never at import."""
    env = os.environ if env is None else env
    public_url = absolute_url(env.get("PUBLIC_URL", "http://127.0.0.1:8000"))
    debug = flag(env, "DEBUG")
    secret_key = _secret_key(env, public_url=public_url, debug=debug)
    stripe_secret_key = env.get("STRIPE_SECRET_KEY") or None
    _refuse_fake_payments_in_public(public_url, stripe_secret_key, flag(env, "STRIPE_SANDBOX"))
    return Settings(
        database=load_database_settings(env),
        secret_key=secret_key,
        public_url=public_url,
        host=env.get("HOST") or "127.0.0.1",
        port=int(number(env, "PORT", "8000", 1, 65535, whole=True)),
        debug=debug,
        stripe_secret_key=stripe_secret_key,
        stripe_webhook_secret=env.get("STRIPE_WEBHOOK_SECRET") or None,
        stripe_api_base=optional_url(env, "STRIPE_API_BASE"),
        stripe_timeout_seconds=number(env, "STRIPE_TIMEOUT_SECONDS", "10", 0.1, 120),
        # 0: no limit.
        checkout_limit_per_minute=int(
            number(env, "CHECKOUT_LIMIT_PER_MINUTE", "20", 0, 10_000, whole=True)
        ),
        trusted_proxies=networks(env.get("TRUSTED_PROXIES", "")),
        ship_to_countries=countries(env.get("SHIP_TO_COUNTRIES") or "US,CA"),
        workers=int(number(env, "WEB_CONCURRENCY", "1", 1, 512, whole=True)),
        live_heartbeat_seconds=number(env, "LIVE_HEARTBEAT_SECONDS", "15", 1, 300),
        live_lifetime_seconds=number(env, "LIVE_LIFETIME_SECONDS", "600", 5, 86_400),
        mail=_mail(env),
        live_streams_per_address=int(
            number(env, "LIVE_STREAMS_PER_ADDRESS", "32", 1, 10**6, whole=True)
        ),
        live_streams_per_worker=int(
            number(env, "LIVE_STREAMS_PER_WORKER", "2000", 1, 10**6, whole=True)
        ),
        sandbox_database=DatabaseSettings(
            url=env.get("SANDBOX_DATABASE_URL") or None,
            sqlite_path=Path(
                env.get("SANDBOX_SQLITE_PATH") or PROJECT_ROOT / "stripe_sandbox.sqlite3"
            ),
        ),
        database_wait_seconds=number(env, "DATABASE_WAIT", "30", 0, 3600),
        metrics=flag(env, "METRICS", "on"),
        metrics_allow=networks(env.get("METRICS_ALLOW", "127.0.0.0/8,::1"), "METRICS_ALLOW"),
        metrics_dir=_directory(env, "PROMETHEUS_MULTIPROC_DIR"),
        log_format=choice(env, "LOG_FORMAT", "text", ("text", "json")),
        log_level=choice(env, "LOG_LEVEL", "info", ("debug", "info", "warning", "error")).upper(),
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


def _directory(env: Mapping[str, str], name: str) -> Path | None:
    if not (value := env.get(name, "").strip()):
        return None
    if not Path(value).is_dir():
        raise SettingsError(f"{name} must name an existing directory ({value} is not one).")
    return Path(value)


def _mail(env: Mapping[str, str]) -> MailSettings:
    try:
        return load_mail_settings(env)
    except ValueError as exc:
        raise SettingsError(str(exc)) from None


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
