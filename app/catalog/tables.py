"""The product table: a stable sku and a price in integer minor units."""

from piccolo.columns import Integer, Text, Varchar
from piccolo.table import Table


class Product(Table, tablename="product"):
    sku = Varchar(length=32, unique=True)
    name = Varchar(length=100)
    description = Text()
    price_cents = Integer()
    currency = Varchar(length=3)
