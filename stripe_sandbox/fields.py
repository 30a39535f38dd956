"""The hosted forms' fields, read by hand and bounded: a field that can't be used is an error."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from urllib.parse import parse_qsl

# Each field the hosted forms send, with the most it may hold (the name is its column's width).
LIMITS = {
    "email": ("Your email address", 254),
    "billingName": ("The name on the card", 200),
    "cardNumber": ("Your card number", 32),
    "cardExpiry": ("Your card's expiration date", 16),
    "cardCvc": ("Your card's security code", 8),
    "outcome": ("The test outcome", 16),
    "shippingName": ("The name to ship to", 200),
    "shippingAddressLine1": ("The street address", 200),
    "shippingAddressLine2": ("The second address line", 200),
    "shippingLocality": ("The city", 200),
    "shippingAdministrativeArea": ("The state or province", 200),
    "shippingPostalCode": ("The postal code", 32),
    "shippingCountry": ("The country", 16),
}
# Typed back into the page only when it is text a buyer could have typed, and not a flood.
_SHOWN_LENGTH = 1000


@dataclass(frozen=True, slots=True)
class Fields:
    """What a hosted form sent: each field's text, why some can't be used, what may be shown."""

    text: dict[str, str]
    errors: dict[str, str]
    shown: dict[str, str]

    def get(self, name: str) -> str:
        return self.text.get(name, "")


def read_form(raw: bytes, names: tuple[str, ...]) -> Fields:
    """The form's fields `names`, each once, as UTF-8 text without control characters, bounded.

    Read from the raw body rather than by the framework's form parser, which answers a field
    sent twice with a bare 400 instead of the page.
    """
    seen: dict[str, list[str]] = {}
    # Latin-1 maps bytes to characters one to one: UTF-8 is checked field by field below.
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="latin-1"):
        if name in names:
            seen.setdefault(name, []).append(value)
    fields = Fields(text={}, errors={}, shown={})
    for name, values in seen.items():
        label, limit = LIMITS[name]
        text = _text(values[0])
        if len(values) > 1:
            fields.errors[name] = f"{label} was sent more than once."
        elif text is None:
            fields.errors[name] = f"{label} has characters that can't be used."
        elif len(text) > limit:
            fields.errors[name] = f"{label} can be at most {limit} characters."
        if text is not None and len(values) == 1 and len(text) <= _SHOWN_LENGTH:
            fields.shown[name] = text
        fields.text[name] = "" if text is None or name in fields.errors else text
    return fields


def _text(raw: str) -> str | None:
    """The field as UTF-8 text, or None if it is not, or holds a control character (a NUL …)."""
    try:
        value = raw.encode("latin-1").decode("utf-8")
    except UnicodeDecodeError:
        return None
    return None if any(unicodedata.category(char) == "Cc" for char in value) else value
