"""Money is integer minor units plus a currency code; this turns it into text and back."""

import re

# ISO 4217 currencies whose minor unit is not the cent; everything else has two decimals.
_EXPONENTS = {"jpy": 0, "krw": 0, "vnd": 0, "clp": 0, "isk": 0, "bhd": 3, "kwd": 3, "jod": 3}
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£", "jpy": "¥"}


def minor_unit_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency.lower(), 2)


def format_money(amount: int, currency: str) -> str:
    """1299, "usd" -> "$12.99"; the amount stays an integer all the way here."""
    exponent = minor_unit_exponent(currency)
    sign = "-" if amount < 0 else ""
    units, minor = divmod(abs(amount), 10**exponent)
    text = f"{units:,}" + (f".{minor:0{exponent}d}" if exponent else "")
    symbol = _SYMBOLS.get(currency.lower())
    return f"{sign}{symbol}{text}" if symbol else f"{sign}{text} {currency.upper()}"


def format_amount(amount: int, currency: str) -> str:
    """1250, "usd" -> "12.50": what a person types into an amount field, the inverse of parse."""
    exponent = minor_unit_exponent(currency)
    units, minor = divmod(amount, 10**exponent)
    return f"{units}.{minor:0{exponent}d}" if exponent else str(units)


class InvalidAmount(ValueError):
    """Text that is not an amount of this currency; the message says what would be."""


def parse_money(text: str, currency: str) -> int:
    """ "12.50", "usd" -> 1250: digits and at most the currency's decimals, nothing else."""
    exponent = minor_unit_exponent(currency)
    decimals = rf"(?:\.\d{{1,{exponent}}})?" if exponent else ""
    rule = (
        f"like 12.{'5'.ljust(exponent, '0')}, with at most {exponent} decimals"
        if exponent
        else "in whole units, like 12"
    )
    text = text.strip()
    if not text:
        raise InvalidAmount("Enter an amount.")
    # No signs, exponents, separators or spaces: "1e3" and "-1" are typing mistakes, not money.
    # ASCII only: \d alone also matches other scripts' digits ("١٢"), which int() would accept.
    if not text.isascii() or not re.fullmatch(rf"\d{{1,9}}{decimals}", text):
        raise InvalidAmount(f"Enter an amount {rule}.")
    units, _, fraction = text.partition(".")
    minor = int(fraction.ljust(exponent, "0")) if exponent else 0
    scale: int = 10**exponent
    return int(units) * scale + minor
