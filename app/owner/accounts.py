"""Owner accounts (Piccolo's BaseUser rows): add, list, remove, change a password; all audited."""

from __future__ import annotations

import asyncio
import unicodedata
from dataclasses import dataclass
from datetime import datetime

from piccolo.query.functions.aggregate import Count, Max

from app.audit.tables import AuditEntry
from app.audit.trail import Action, record
from app.db import atomic, utcnow
from app.owner.sessions import ABSOLUTE_EXPIRY, IDLE_EXPIRY
from app.owner.tables import BaseUser, OwnerSession

COMMAND_LINE = "command line"
MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = BaseUser._max_password_length  # BaseUser refuses to hash longer ones
MAX_USERNAME_LENGTH = 100  # BaseUser.username is Varchar(100), and Postgres enforces it


class AccountError(Exception):
    """A request refused as asked: the message says why, for whoever typed it."""


@dataclass(frozen=True, slots=True)
class OwnerSummary:
    username: str
    active: bool
    last_login: datetime | None
    open_sessions: int


def validate_password(password: str) -> None:
    if not password:
        raise AccountError("No password given.")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(f"The password is too short: at least {MIN_PASSWORD_LENGTH} characters.")
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"The password is too long: at most {MAX_PASSWORD_LENGTH} characters.")
    if password.startswith("pbkdf2_sha256"):
        # BaseUser takes a value with this prefix for a stored hash, not a password.
        raise AccountError("The password must not start with 'pbkdf2_sha256'.")


def validate_username(username: str) -> None:
    if not 1 <= len(username) <= MAX_USERNAME_LENGTH:
        raise AccountError(f"An owner's name has 1 to {MAX_USERNAME_LENGTH} characters.")
    # Category C is control, format (zero-width) and unassigned: names must look like they read.
    if any(c.isspace() or unicodedata.category(c).startswith("C") for c in username):
        raise AccountError("An owner's name has no spaces or control characters.")


async def _hash(password: str) -> str:
    # 600,000 PBKDF2 rounds take ~0.3 s of CPU: off the event loop, and before any lock is taken.
    return await asyncio.to_thread(BaseUser.hash_password, password)


async def add_owner(username: str, password: str, *, actor: str = COMMAND_LINE) -> int:
    """A new active owner; returns its id."""
    validate_username(username)
    validate_password(password)
    hashed = await _hash(password)
    owner = BaseUser(  # type: ignore[no-untyped-call]  # Piccolo's __init__ has no annotations
        username=username,
        password=hashed,  # already hashed: BaseUser leaves a "pbkdf2_sha256$…" value alone
        # email is unique and not null in Piccolo's table: a per-owner placeholder (RFC 2606).
        email=f"{username}@owner.invalid",
        active=True,
        admin=True,
    )
    async with atomic():
        # The unique name decides, not a look-up first: two concurrent adds get one winner.
        rows = await (
            BaseUser.insert(owner)
            .on_conflict(target=BaseUser.username, action="DO NOTHING")
            .returning(BaseUser.id)
        )
        if not rows:
            raise AccountError(f"An owner named {username!r} already exists.")
        owner_id = await _unused_id(int(rows[0]["id"]))
        await record(Action.OWNER_ADDED, actor=actor, detail=f"owner {username}")
    return owner_id


async def _unused_id(owner_id: int) -> int:
    """`owner_id`, or a higher one if the audit trail names it already: SQLite gives a removed
    owner's id to the next one added, and the trail keeps owners by id, so a new owner with
    an old name (or any name) inherits nobody's history. (PostgreSQL never reuses one.)"""
    named = await AuditEntry.select(Max(AuditEntry.actor_id)).first()
    latest = named["max"] if named else None
    if latest is None or owner_id > latest:
        return owner_id
    await BaseUser.update({BaseUser.id: latest + 1}).where(BaseUser.id == owner_id)
    return int(latest) + 1


async def list_owners() -> list[OwnerSummary]:
    """Every owner by name, with how many live sessions each has (two queries in all)."""
    owners = await BaseUser.select(
        BaseUser.id, BaseUser.username, BaseUser.active, BaseUser.last_login
    ).order_by(BaseUser.username)
    now = utcnow()
    # Only sessions that would still sign someone in: expired rows may still be in the table.
    counts = await (
        OwnerSession.select(OwnerSession.user, Count())
        .where(
            (OwnerSession.seen_at > now - IDLE_EXPIRY)
            & (OwnerSession.created_at > now - ABSOLUTE_EXPIRY)
        )
        .group_by(OwnerSession.user)
    )
    sessions = {row["user"]: row["count"] for row in counts}
    return [
        OwnerSummary(
            username=row["username"],
            active=bool(row["active"]),
            last_login=row["last_login"],
            open_sessions=int(sessions.get(row["id"], 0)),
        )
        for row in owners
    ]


async def remove_owner(username: str, *, actor: str = COMMAND_LINE) -> None:
    """Delete the owner; its sessions go with it (ON DELETE CASCADE)."""
    async with atomic():
        rows = await BaseUser.delete().where(BaseUser.username == username).returning(BaseUser.id)
        if not rows:
            raise AccountError(f"No owner is named {username!r}.")
        await record(Action.OWNER_REMOVED, actor=actor, detail=f"owner {username}")


async def change_password(username: str, password: str, *, actor: str = COMMAND_LINE) -> None:
    """Set a new password and sign the owner out everywhere, in one transaction."""
    validate_password(password)
    hashed = await _hash(password)
    async with atomic():
        # An update through the query stores the value as given (no __setattr__ re-hashing).
        rows = await (
            BaseUser.update({BaseUser.password: hashed})
            .where(BaseUser.username == username)
            .returning(BaseUser.id)
        )
        if not rows:
            raise AccountError(f"No owner is named {username!r}.")
        # A changed password is often a leaked one: every browser signed in with it is out.
        await OwnerSession.delete().where(OwnerSession.user == rows[0]["id"])
        await record(Action.PASSWORD_CHANGED, actor=actor, detail=f"owner {username}")
