"""Amounts as Stripe's pages show them: minor units by Stripe's currency list, a symbol or code."""

from __future__ import annotations

from decimal import Decimal

# Stripe's zero-decimal and three-decimal currencies; every other one counts in hundredths.
_ZERO_DECIMAL = {
    *("bif", "clp", "djf", "gnf", "jpy", "kmf", "krw", "mga"),
    *("pyg", "rwf", "ugx", "vnd", "vuv", "xaf", "xof", "xpf"),
}
_THREE_DECIMAL = {"bhd", "jod", "kwd", "omr", "tnd"}
# Stripe's ceiling for a USD charge: $999,999.99.
MAX_AMOUNT = 99_999_999
_SIGNS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥", "cad": "CA$", "aud": "A$"}


def decimals(currency: str) -> int:
    code = currency.lower()
    return 0 if code in _ZERO_DECIMAL else 3 if code in _THREE_DECIMAL else 2


def money(amount: int, currency: str) -> str:
    """(1299, "usd") -> "$12.99"; (500, "jpy") -> "¥500"; (1299, "chf") -> "12.99 CHF"."""
    places = decimals(currency)
    value = Decimal(amount).scaleb(-places)
    text = f"{abs(value):,.{places}f}"
    sign = "-" if amount < 0 else ""
    prefix = _SIGNS.get(currency.lower())
    return f"{sign}{prefix}{text}" if prefix else f"{sign}{text} {currency.upper()}"
