"""Owner sessions in the database: a random token per sign-in, idle and absolute expiry."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from app.audit.trail import Who
from app.db import utcnow
from app.owner.tables import OwnerSession

IDLE_EXPIRY = timedelta(hours=2)
ABSOLUTE_EXPIRY = timedelta(hours=12)
# A session's last use is written at most this often, so page views are not all writes.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Owner:
    id: int
    username: str
    session_id: int
    address: str = ""  # the client's, filled in per request (app/owner/access.py)

    @property
    def who(self) -> Who:
        """This owner in the audit trail: by id, with the session and the address."""
        return Who(self.username, self.id, self.session_id, self.address)


def _hash(token: str) -> str:
    # Only the hash is stored: a copy of the table signs nobody in.
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(user_id: int) -> tuple[str, int]:
    """A new session (and so a new token, never one the browser brought) for a signed-in owner:
    the token, and the session's id (what the audit names it by)."""
    token = secrets.token_urlsafe(32)  # 256 random bits
    [row] = await OwnerSession.insert(
        OwnerSession(token_hash=_hash(token), user=user_id)
    ).returning(OwnerSession.id)
    return token, int(row["id"])


async def owner_for(token: str | None, *, touch: bool = True) -> Owner | None:
    """The owner a session token belongs to, if it is live; touches it at most once a minute."""
    if not token or len(token) > 100:
        return None
    now = utcnow()
    row = await (
        OwnerSession.select(
            OwnerSession.id, OwnerSession.seen_at, OwnerSession.user.id, OwnerSession.user.username
        )
        .where(
            (OwnerSession.token_hash == _hash(token))
            & (OwnerSession.seen_at > now - IDLE_EXPIRY)
            & (OwnerSession.created_at > now - ABSOLUTE_EXPIRY)
            & OwnerSession.user._.active.eq(True)
        )
        .first()
    )
    if row is None:
        return None
    if touch and row["seen_at"] < now - TOUCH_EVERY:
        await OwnerSession.update({OwnerSession.seen_at: now}).where(OwnerSession.id == row["id"])
    return Owner(id=row["user.id"], username=row["user.username"], session_id=row["id"])


async def close_session(token: str | None) -> Owner | None:
    """End a session for good: the same cookie replayed later finds nothing."""
    owner = await owner_for(token)
    if owner is not None:
        await OwnerSession.delete().where(OwnerSession.id == owner.session_id)
    return owner
