"""Owner sessions and sign-in attempts; owners are Piccolo's own BaseUser rows."""

from piccolo.apps.user.tables import BaseUser
from piccolo.columns import (
    Boolean,
    ForeignKey,
    OnDelete,
    Serial,
    Timestamptz,
    Varchar,
)
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

__all__ = ["BaseUser", "OwnerSession", "SignInAttempt"]


class OwnerSession(Table, tablename="owner_session"):
    """A signed-in browser. The cookie holds the token; only its SHA-256 is stored."""

    id = Serial(primary_key=True)
    token_hash = Varchar(length=64, unique=True)
    user = ForeignKey(BaseUser, null=False, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())
    seen_at = Timestamptz(default=TimestamptzNow())


class SignInAttempt(Table, tablename="owner_sign_in_attempt"):
    """Counted before the password is checked, so every worker throttles from one tally."""

    id = Serial(primary_key=True)
    username = Varchar(length=100, index=True)  # a keyed hash of the name typed, never the name
    address = Varchar(length=64, index=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    failed = Boolean(default=True)
    # The device cookie's nonce it brought (app/owner/devices.py); empty for an unknown browser.
    device = Varchar(length=32, default="", index=True)
    # The address's network (a /24 or a /64, app/owner/networks.py): throttled as one as well.
    network = Varchar(length=64, default="", index=True)
