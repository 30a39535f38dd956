"""How a setting's text is read: flags, bounded numbers, networks, countries and URLs, each
refused with a sentence that names the setting."""

from __future__ import annotations

import contextlib
import ipaddress
from collections.abc import Mapping
from urllib.parse import urlsplit

from app.payments.countries import STRIPE_SHIPS_TO

TRUE = {"1", "true", "yes", "on"}
FALSE = {"", "0", "false", "no", "off"}


class SettingsError(RuntimeError):
    """The environment asks for something the store will not run with."""


def flag(env: Mapping[str, str], name: str, default: str = "") -> bool:
    value = (env.get(name) or default).strip().lower()
    if value in TRUE:
        return True
    if value in FALSE:
        return False
    raise SettingsError(f"{name} must be one of 1/0, true/false, yes/no, on/off.")


def number(
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


def networks(
    value: str, name: str = "TRUSTED_PROXIES"
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    networks = []
    for item in filter(None, (part.strip() for part in value.split(","))):
        try:
            networks.append(ipaddress.ip_network(item))
        except ValueError:
            raise SettingsError(
                f"{name}: {item!r} is not an IP address or network (e.g. 10.0.0.0/8); "
                "separate several with commas."
            ) from None
    return tuple(networks)


def countries(value: str) -> tuple[str, ...]:
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


def absolute_url(value: str) -> str:
    parts = urlsplit(value.strip())
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(
            "PUBLIC_URL must be an absolute http(s) URL, e.g. https://shop.example."
        )
    return value.strip().rstrip("/")


def optional_url(env: Mapping[str, str], name: str) -> str | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise SettingsError(f"{name} must be an absolute http(s) URL.")
    return value.rstrip("/")


def choice(env: Mapping[str, str], name: str, default: str, allowed: tuple[str, ...]) -> str:
    value = (env.get(name) or default).strip().lower()
    if value not in allowed:
        raise SettingsError(f"{name} must be one of {', '.join(allowed)}.")
    return value
