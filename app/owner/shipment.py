"""A shipment as the owner typed it: a carrier and a tracking number, checked before storing."""

from __future__ import annotations

import unicodedata
from typing import Any

from app.orders.tables import Order

MAX_FIELD = 100


class InvalidShipment(ValueError):
    """A carrier or tracking number that cannot be stored; the message says why."""

    def __init__(self, field: str, message: str, typed: dict[str, str]) -> None:
        super().__init__(message)
        self.field = field  # the form field it is about: "carrier" or "tracking_number"
        self.typed = typed  # both fields as typed, less what cannot be printed


def shipment(carrier: str, tracking_number: str) -> dict[Any, object]:
    """The ship arrow's values (empty fields stored as none)."""
    typed = {"carrier": printable(carrier), "tracking_number": printable(tracking_number)}
    carrier = _field("carrier", "carrier", carrier, typed)
    tracking_number = _field("tracking_number", "tracking number", tracking_number, typed)
    return {Order.carrier: carrier or None, Order.tracking_number: tracking_number or None}


def _field(field: str, name: str, value: str, typed: dict[str, str]) -> str:
    value = value.strip()
    if len(value) > MAX_FIELD:
        raise InvalidShipment(field, f"Keep the {name} under {MAX_FIELD} characters.", typed)
    if any(_unprintable(c) for c in value):
        raise InvalidShipment(field, f"The {name} has characters that cannot be printed.", typed)
    return value


def printable(value: str) -> str:
    """What was typed, without the characters _field refuses: shown again beside its error."""
    return "".join(c for c in value if not _unprintable(c))


def _unprintable(c: str) -> bool:
    return unicodedata.category(c).startswith("C")
