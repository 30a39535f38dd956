"""What the owner's search box finds: an order number, or a prefix of an email, a shipping name
or a Checkout Session id, each through an index (migrations 0007 and 0012)."""

from __future__ import annotations

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from app.db import MAX_SERIAL
from app.orders.tables import Order


def search_where(q: str) -> Combinable | None:
    """Which column a search names, told by its shape; None when it names none."""
    q = " ".join(q.split()).removeprefix("#")
    if not q:
        return None
    if q.isascii() and q.isdigit() and len(q) <= 18:
        # Past the column's range no order has it: the database is not asked (it would refuse).
        return Order.id == int(q) if int(q) <= MAX_SERIAL else Order.id == 0
    if q.startswith("cs_"):
        return _starts("stripe_session_id", q)
    if q.startswith("pi_"):
        return Order.payment_intent_id == q
    if "@" in q:
        return _starts("lower(buyer_email)", q.lower())
    # A word or two: the start of an email ("buyer") or of the name it ships to ("Ada L").
    return _starts("lower(buyer_email)", q.lower()) | _starts("lower(ship_name)", q.lower())


def _starts(column: str, prefix: str) -> WhereRaw:
    if Order._meta.db.engine_type == "postgres":
        # LIKE with a fixed start uses the *_pattern_ops indexes whatever the collation.
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        return WhereRaw(f"{column} LIKE {{}}", pattern)
    # SQLite compares bytes (BINARY): the prefix's range is one index range scan.
    upper = prefix[:-1] + chr(min(ord(prefix[-1]) + 1, 0x10FFFF))
    return WhereRaw(f"{column} >= {{}} AND {column} < {{}}", prefix, upper)
