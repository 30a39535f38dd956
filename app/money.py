"""Money is integer minor units plus a currency code; this turns it into text for people."""

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
