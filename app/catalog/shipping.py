"""What posting an order costs: a flat rate, free from a threshold; beside the catalogue."""

from __future__ import annotations

from dataclasses import dataclass

# In the shop's currency (app/catalog/service.py: CATALOG), minor units.
FLAT_RATE_CENTS = 490
FREE_FROM_CENTS = 4000


# What Stripe accepts in shipping_address_collection.allowed_countries (its published API
# description); any other code would make every Checkout Session fail.
_STRIPE_COUNTRIES = """
AC AD AE AF AG AI AL AM AO AQ AR AT AU AW AX AZ BA BB BD BE BF BG BH BI BJ BL BM BN BO BQ BR
BS BT BV BW BY BZ CA CD CF CG CH CI CK CL CM CN CO CR CV CW CY CZ DE DJ DK DM DO DZ EC EE EG
EH ER ES ET FI FJ FK FO FR GA GB GD GE GF GG GH GI GL GM GN GP GQ GR GS GT GU GW GY HK HN HR
HT HU ID IE IL IM IN IO IQ IS IT JE JM JO JP KE KG KH KI KM KN KR KW KY KZ LA LB LC LI LK LR
LS LT LU LV LY MA MC MD ME MF MG MK ML MM MN MO MQ MR MS MT MU MV MW MX MY MZ NA NC NE NG NI
NL NO NP NR NU NZ OM PA PE PF PG PH PK PL PM PN PR PS PT PY QA RE RO RS RU RW SA SB SC SE SG
SH SI SJ SK SL SM SN SO SR SS ST SV SX SZ TA TC TD TF TG TH TJ TK TL TM TN TO TR TT TV TW TZ
UA UG US UY UZ VA VC VE VG VN VU WF WS XK YE YT ZA ZM ZW ZZ
"""
STRIPE_SHIPS_TO = frozenset(_STRIPE_COUNTRIES.split())


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
