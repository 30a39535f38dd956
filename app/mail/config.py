"""Mail settings from the environment: where the SMTP server is, who writes, who the owner is."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from email.headerregistry import Address
from urllib.parse import unquote, urlsplit

_ON = {"1", "true", "yes", "on"}
DEFAULT_FROM = "Corner Roastery <shop@localhost>"


@dataclass(frozen=True, slots=True)
class SmtpServer:
    host: str
    port: int
    username: str | None = field(default=None, repr=False)
    password: str | None = field(default=None, repr=False)
    use_tls: bool = False  # smtps://: TLS from the first byte
    start_tls: bool | None = None  # smtp://: STARTTLS, required when there is a password


@dataclass(frozen=True, slots=True)
class MailSettings:
    smtp: SmtpServer | None = None  # None: every email is written and logged, never sent
    mail_from: str = DEFAULT_FROM
    owner_email: str | None = None
    owner_hears_of_sales: bool = False  # OWNER_EMAIL_SALES=on: an email per paid order too
    poll_seconds: float = 5.0
    retry_seconds: float = 30.0  # the first retry's wait; doubled each time, at most an hour
    lease_seconds: float = 120.0  # a claim not marked by then is taken up again
    timeout_seconds: float = 20.0


def load_mail_settings(env: Mapping[str, str]) -> MailSettings:
    """SMTP_URL, MAIL_FROM, OWNER_EMAIL and the MAIL_* timings; ValueError says what is wrong."""
    mail_from = (env.get("MAIL_FROM") or DEFAULT_FROM).strip()
    _address("MAIL_FROM", mail_from.rsplit("<", 1)[-1].rstrip(">"))
    owner = (env.get("OWNER_EMAIL") or "").strip() or None
    if owner:
        _address("OWNER_EMAIL", owner)
    return MailSettings(
        smtp=smtp_server(env.get("SMTP_URL", "").strip()),
        mail_from=mail_from,
        owner_email=owner,
        owner_hears_of_sales=(env.get("OWNER_EMAIL_SALES") or "").strip().lower() in _ON,
        poll_seconds=_seconds(env, "MAIL_POLL_SECONDS", 5.0, 0.05, 3600),
        retry_seconds=_seconds(env, "MAIL_RETRY_SECONDS", 30.0, 0.05, 3600),
        lease_seconds=_seconds(env, "MAIL_LEASE_SECONDS", 120.0, 0.5, 3600),
        timeout_seconds=_seconds(env, "MAIL_TIMEOUT_SECONDS", 20.0, 0.1, 300),
    )


def smtp_server(url: str) -> SmtpServer | None:
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in {"smtp", "smtps"} or not parts.hostname:
        raise ValueError("SMTP_URL must look like smtp://user:pass@host:587 or smtps://host:465.")
    try:
        port = parts.port or (465 if parts.scheme == "smtps" else 587)
    except ValueError:
        raise ValueError("SMTP_URL has a port that is not a number from 1 to 65535.") from None
    username = unquote(parts.username) if parts.username else None
    password = unquote(parts.password) if parts.password else None
    tls = parts.scheme == "smtps"
    # A password never crosses the network in clear: with one, STARTTLS is required.
    return SmtpServer(
        parts.hostname, port, username, password, tls, None if tls or not password else True
    )


def _address(name: str, value: str) -> None:
    try:
        address = Address(addr_spec=value.strip())
    except (ValueError, IndexError):
        address = None
    if address is None or not address.domain or not address.username:
        raise ValueError(f"{name} must be an email address, e.g. shop@example.com.")


def _seconds(env: Mapping[str, str], name: str, default: float, low: float, high: float) -> float:
    text = (env.get(name) or "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise ValueError(f"{name} must be a number of seconds from {low:g} to {high:g}.")
    return value
