"""Orders, their lines (prices copied), status changes, Stripe events, Buys and reconcile runs."""

from enum import StrEnum

from piccolo.columns import (
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    OnDelete,
    Serial,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class OrderStatus(StrEnum):
    PENDING = "pending"
    PROCESSING = "processing"
    PAID = "paid"
    FAILED = "failed"
    CANCELED = "canceled"
    EXPIRED = "expired"
    REFUNDED = "refunded"
    PARTIALLY_REFUNDED = "partially_refunded"
    NEEDS_REVIEW = "needs_review"


class StockState(StrEnum):
    """What an order does to stock; NONE for orders placed before stock was counted."""

    NONE = ""
    HELD = "held"
    TAKEN = "taken"
    RELEASED = "released"
    SHORT = "short"  # paid after its hold was released, and too few were left to take
    RESTOCKED = "restocked"  # taken, then put back by the owner with a refund


class Fulfilment(StrEnum):
    UNFULFILLED = "unfulfilled"
    SHIPPED = "shipped"


class Order(Table, tablename="shop_order"):
    id = Serial(primary_key=True)
    visitor_id = Varchar(length=64, index=True)
    # One order per rendered checkout form: a resubmitted form finds this order again.
    checkout_token = Varchar(length=64, unique=True)
    status = Varchar(length=20, default=OrderStatus.PENDING.value, index=True)
    currency = Varchar(length=3)
    # What Stripe is asked for: the lines' sum plus the shipping rate, all fixed at Buy.
    subtotal_cents = BigInt(default=0)
    shipping_cents = BigInt(default=0)
    total_cents = BigInt()
    stripe_session_id = Varchar(length=255, unique=True, null=True, default=None)
    stripe_session_url = Text(null=True, default=None)
    payment_intent_id = Varchar(length=255, null=True, default=None, index=True)
    refunded_cents = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    paid_at = Timestamptz(null=True, default=None)
    # Stripe's word at confirmation: False for test-mode keys and the sandbox, None until then.
    livemode = Boolean(null=True, default=None)
    # When reconcile last asked Stripe about it: repeated runs ask about others first.
    checked_at = Timestamptz(null=True, default=None)
    # What Stripe charged, as it said at confirmation (None until then); refunds are against it.
    paid_cents = BigInt(null=True, default=None)
    paid_currency = Varchar(length=3, null=True, default=None)
    buyer_email = Varchar(length=254, null=True, default=None)
    # Why the store flagged it needs_review, in the owner's words (both amounts, or the status).
    review_reason = Text(null=True, default=None)
    # Where it goes, as the buyer typed it on Stripe's page (kept as typed, escaped when shown).
    ship_name = Varchar(length=300, null=True, default=None)
    ship_line1 = Varchar(length=300, null=True, default=None)
    ship_line2 = Varchar(length=300, null=True, default=None)
    ship_city = Varchar(length=300, null=True, default=None)
    ship_state = Varchar(length=300, null=True, default=None)
    ship_postal_code = Varchar(length=40, null=True, default=None)
    ship_country = Varchar(length=2, null=True, default=None)
    # Beside the payment's status: only the owner's "shipped" arrow changes it.
    fulfilment = Varchar(length=20, default=Fulfilment.UNFULFILLED.value)
    shipped_at = Timestamptz(null=True, default=None)
    carrier = Varchar(length=100, null=True, default=None)
    tracking_number = Varchar(length=100, null=True, default=None)
    # What the order does to stock (StockState): held at Buy, then taken or released once by
    # the arrows' stock effect (app/catalog/stock.py). Empty: placed before stock was counted.
    stock = Varchar(length=10, default="")
    # The secret of the order's own page (/order/<id>/<token>): 192 random bits, replaced when
    # the owner revokes it; compared in constant time (app/orders/links.py).
    link_token = Varchar(length=64, null=True, default=None)


class OrderLine(Table, tablename="shop_order_line"):
    id = Serial(primary_key=True)
    order = ForeignKey(Order, null=False, on_delete=OnDelete.cascade, index=True)
    sku = Varchar(length=32)
    name = Varchar(length=100)
    unit_price_cents = Integer()
    quantity = Integer()


class StripeEvent(Table, tablename="shop_stripe_event"):
    id = Serial(primary_key=True)
    event_id = Varchar(length=255, unique=True)
    type = Varchar(length=100)
    received_at = Timestamptz(default=TimestamptzNow())
    order_id = Integer(null=True, default=None, index=True)  # the order it moved, if any


class OrderChange(Table, tablename="shop_order_change"):
    """One row per status change, written by a trigger (migration 0007), so no arrow can skip it."""

    id = Serial(primary_key=True)
    order = ForeignKey(Order, null=False, on_delete=OnDelete.cascade, index=True)
    from_status = Varchar(length=20)
    to_status = Varchar(length=20)
    changed_at = Timestamptz(default=TimestamptzNow())


class ReconcileRun(Table, tablename="shop_reconcile_run"):
    """What each reconcile run found, for the owner's dashboard."""

    id = Serial(primary_key=True)
    ran_at = Timestamptz(default=TimestamptzNow(), index=True)
    changes = Integer(default=0)
    report = Text(default="")  # the run's report lines, one per line


class BuyWindow(Table, tablename="shop_buy_window"):
    """Buys per client address per minute, counted in the database so every worker sees them."""

    id = Serial(primary_key=True)
    address = Varchar(length=64)
    minute = BigInt(index=True)  # unix time // 60; (address, minute) is unique (migration 0005)
    buys = Integer(default=0)
