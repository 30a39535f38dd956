"""The audit trail's table: what owners did, and every sign-in."""

from piccolo.columns import Integer, Serial, Text, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class AuditEntry(Table, tablename="owner_audit"):
    """What owners did, and every sign-in: written by the services, edited by nothing."""

    id = Serial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    # The owner's name then, and id: a name removed and added again is another owner. An unknown
    # name typed at sign-in is kept only as a keyed hash (people type passwords there).
    actor = Varchar(length=100)
    actor_id = Integer(null=True, default=None, index=True)
    # The owner's session (its row id, never the cookie) and the client's address.
    session_id = Integer(null=True, default=None)
    action = Varchar(length=40)
    order_id = Integer(null=True, default=None, index=True)
    address = Varchar(length=64, default="")
    detail = Text(default="")
    # What Stripe named the effect (a refund id): a retried action is recorded once.
    reference = Varchar(length=255, null=True, default=None, unique=True)
