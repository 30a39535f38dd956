"""The product table: a stable sku, a price in integer minor units, and its stock."""

from piccolo.columns import Boolean, Integer, Text, Timestamptz, Varchar
from piccolo.table import Table


class Product(Table, tablename="product"):
    sku = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    description = Text()
    price_cents = Integer()
    currency = Varchar(length=3)
    # None: made to order (unlimited). The database checks 0 <= held <= on_hand (migration 0015),
    # so no code path can hold or take more than there is.
    on_hand = Integer(null=True, default=None)
    # Bought but not paid yet: open checkouts' quantities (counted for made-to-order ones too).
    held = Integer(default=0)
    on_sale = Boolean(default=True)
    # When the owner last changed the price (None: never): a Buy from a form rendered before
    # it is refused with the cart re-priced.
    price_changed_at = Timestamptz(null=True, default=None)
