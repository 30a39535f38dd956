"""The outbox: one row per email, written in the transaction of the change it tells of."""

from enum import StrEnum

from piccolo.columns import DoublePrecision, Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class MailState(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender until lease_until
    RETRYING = "retrying"
    SENT = "sent"
    FAILED = "failed"
    NOT_SENT = "not_sent"  # no mail server configured: written and shown, never sent


class Mail(Table, tablename="shop_mail"):
    id = Serial(primary_key=True)
    # (order, kind, occurrence): a replayed webhook or a racing worker finds it taken.
    key = Varchar(length=200, unique=True)
    order_id = Integer(null=True, default=None, index=True)
    kind = Varchar(length=30)
    to_address = Varchar(length=320)
    subject = Varchar(length=300)
    # An arrow's email is written when it is sent (its words "" until then), so the arrow's
    # transaction pays for one INSERT; the refund figure is kept as it was at the refund.
    text_body = Text()
    html_body = Text()
    link = Text(default="")  # the order link it carries, for the log line without a server
    refunded_cents = Integer(null=True, default=None)
    # The rows still to send are indexed by migration shop_0020 (a partial index).
    state = Varchar(length=20, default=MailState.QUEUED.value)
    attempts = Integer(default=0)
    # Unix seconds: compared in SQL the same way on both engines.
    queued_at = DoublePrecision()
    due_at = DoublePrecision()
    lease_until = DoublePrecision(null=True, default=None)
    lease = Varchar(length=32, null=True, default=None)  # who holds the claim
    last_error = Text(default="")
    created_at = Timestamptz(default=TimestamptzNow())
    sent_at = Timestamptz(null=True, default=None)


class MailWindow(Table, tablename="shop_mail_window"):
    """ "Find my orders" asks per client address and per email address per hour."""

    id = Serial(primary_key=True)
    bucket = Varchar(length=330)  # "ip:<address>" or "to:<email>"; (bucket, hour) is unique
    hour = Integer(index=True)
    asks = Integer(default=0)
