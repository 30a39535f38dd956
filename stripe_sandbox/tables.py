"""The sandbox's tables (all sandbox_*); they name no engine: the sandbox binds its own at start."""

from piccolo.columns import Boolean, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class _Owned:
    """A row of one account; a mixin, which Piccolo copies into each table that names it."""

    id = Serial(primary_key=True)
    # A short hash of the API key: like Stripe accounts, sandboxes sharing a database stay apart.
    account = Varchar(length=16, index=True)


class SandboxSession(_Owned, Table, tablename="sandbox_checkout_session"):
    session_id = Varchar(length=80, unique=True)
    mode = Varchar(length=16)
    status = Varchar(length=16, index=True)
    payment_status = Varchar(length=24)
    currency = Varchar(length=3)
    amount_subtotal = Integer()
    amount_total = Integer()
    line_items = Text()
    metadata = Text(default="{}")
    extra = Text(default="{}")
    client_reference_id = Varchar(length=200, null=True, default=None)
    customer_email = Varchar(length=512, null=True, default=None)
    success_url = Text()
    cancel_url = Text(null=True, default=None)
    expires_at = Timestamptz(index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    payment_intent = Varchar(length=64, null=True, default=None, index=True)
    charge = Varchar(length=64, null=True, default=None)
    payment_method_type = Varchar(length=32, null=True, default=None)
    card = Text(null=True, default=None)
    buyer_email = Varchar(length=512, null=True, default=None)
    buyer_name = Varchar(length=200, null=True, default=None)
    awaiting_auth = Boolean(default=False)
    settle_at = Timestamptz(null=True, default=None, index=True)
    settle_outcome = Varchar(length=16, null=True, default=None)
    amount_refunded = Integer(default=0)
    # JSON: the allowed countries (null: no address collected), the shipping rate objects offered
    # (the selected one first), the selected rate's id, and the address the buyer gave.
    shipping_countries = Text(null=True, default=None)
    shipping_rates = Text(null=True, default=None)
    shipping_rate = Varchar(length=64, null=True, default=None)
    shipping_details = Text(null=True, default=None)


class SandboxEvent(_Owned, Table, tablename="sandbox_event"):
    event_id = Varchar(length=64, unique=True)
    type = Varchar(length=64, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    payload = Text()
    webhook_url = Text(null=True, default=None)
    delivered = Boolean(default=False)
    attempts = Integer(default=0)
    # NULL once delivered or given up; otherwise when the next attempt is due (or a claim lapses).
    next_attempt_at = Timestamptz(null=True, default=None, index=True)
    last_status = Integer(null=True, default=None)


class SandboxRefund(_Owned, Table, tablename="sandbox_refund"):
    refund_id = Varchar(length=64, unique=True)
    session_id = Varchar(length=80)
    payment_intent = Varchar(length=64, index=True)
    charge = Varchar(length=64)
    amount = Integer()
    currency = Varchar(length=3)
    reason = Varchar(length=32, null=True, default=None)
    metadata = Text(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())


class SandboxShippingRate(_Owned, Table, tablename="sandbox_shipping_rate"):
    """Each shipping rate a session made from shipping_rate_data, for later sessions to name."""

    rate_id = Varchar(length=64, unique=True)
    payload = Text()
    created_at = Timestamptz(default=TimestamptzNow())


class SandboxIdempotencyKey(Table, tablename="sandbox_idempotency_key"):
    id = Serial(primary_key=True)
    # account + ":" + the client's key; unique, so one insert wins however many workers race.
    scoped_key = Varchar(length=320, unique=True)
    fingerprint = Varchar(length=64)
    status_code = Integer(null=True, default=None)
    body = Text(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class SandboxCredentials(Table, tablename="sandbox_credentials"):
    """The keys a standalone sandbox made for itself at its first start, for every later one."""

    id = Serial(primary_key=True)
    # One row, named "standalone": unique, so racing first starts insert it once between them.
    name = Varchar(length=16, unique=True)
    api_key = Varchar(length=80, secret=True)
    webhook_secret = Varchar(length=80, secret=True)
    created_at = Timestamptz(default=TimestamptzNow())


TABLES: list[type[Table]] = [
    SandboxSession,
    SandboxEvent,
    SandboxRefund,
    SandboxShippingRate,
    SandboxIdempotencyKey,
    SandboxCredentials,
]
