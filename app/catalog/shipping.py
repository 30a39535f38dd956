"""What posting an order costs: a flat rate, free from a threshold; beside the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

# In the shop's currency (app/catalog/service.py: CATALOG), minor units.
FLAT_RATE_CENTS = 490
FREE_FROM_CENTS = 4000


@dataclass(frozen=True, slots=True)
class ShippingRate:
    name: str
    amount_cents: int
    min_business_days: int = 2
    max_business_days: int = 5


STANDARD = ShippingRate("Standard shipping", FLAT_RATE_CENTS)
FREE = ShippingRate("Free shipping", 0)


def shipping_for(items_cents: int) -> ShippingRate:
    """The one rate the store offers for products worth `items_cents`."""
    return FREE if items_cents >= FREE_FROM_CENTS else STANDARD
