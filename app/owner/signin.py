"""sign_in and sign_out: a throttled, constant-cost password check that never blocks the loop."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import hashlib
import hmac
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.audit.tables import AuditEntry
from app.audit.trail import Action, Who, record
from app.db import utcnow
from app.metrics.store import sign_in_throttled
from app.owner.networks import network_of
from app.owner.sessions import Owner, close_session, open_session
from app.owner.tables import BaseUser, SignInAttempt

MAX_FAILURES = 5
# Failures from unknown browsers of one network (a /24 or a /64, app/owner/networks.py) before
# all of them wait: four addresses' worth, so a shared office or campus NAT where a few people
# mistype is not held back, while 20 addresses of one /24 get 20 password checks, not 100.
NETWORK_FAILURES = 20
WINDOW = timedelta(minutes=15)
# Failed and throttled sign-ins are noise after this long; the owners' own actions are kept.
NOISE_RETENTION = timedelta(days=90)
# Hashed for a name that does not exist, so it costs what a wrong password costs.
_NOBODY_SALT = "no-such-owner-salt"


class SignInFailed(Exception):
    """Wrong name or password (the same answer for both)."""


class SignInThrottled(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many failed sign-ins; retry after {retry_after} s")
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class SignedIn:
    token: str
    username: str


async def sign_in(
    username: str, password: str, address: str, device: str | None = None, *, name_key: bytes
) -> SignedIn:
    """A new session for the owner, or SignInFailed / SignInThrottled; every outcome audited.

    `device` is the nonce of a valid device cookie for this name (a browser that signed in as
    it before): its failures count against that browser only, and nobody else's count against
    it, so strangers can slow down guessing without locking the owner out (OWASP's device
    cookies). Without one, failures count per name and per address, and per network, among
    unknown browsers. A name no owner has is kept only as its HMAC under `name_key`.
    """
    address, device = address[:64], (device or "")[:32]
    user = (
        await BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active)
        .where(BaseUser.username == username[:100])
        .first()
    )
    name = username if user is not None else unknown_name(username, name_key)
    who = Who(name, owner_id=user["id"] if user else None, address=address)
    network, now = network_of(address), utcnow()
    # Counted before the password is looked at, and this attempt first: concurrent guesses
    # each see the ones inserted before them, so a burst cannot slip past the limit.
    [attempt] = await SignInAttempt.insert(
        SignInAttempt(
            username=name, address=address, network=network, at=now, failed=True, device=device
        )
    ).returning(SignInAttempt.id)
    await SignInAttempt.delete().where(SignInAttempt.at < now - WINDOW)
    await forget_old_noise(now)
    held_since = await _held_back_since(attempt["id"], now, name, address, network, device)
    if held_since is not None:
        await SignInAttempt.delete().where(SignInAttempt.id == attempt["id"])
        # Once per burst: every throttled try of it names the same failure.
        burst = f"throttled {held_since.isoformat()} {address} {name}"
        await record(Action.SIGN_IN_THROTTLED, actor=who, reference=burst)
        retry_after = (held_since + WINDOW - now).total_seconds()
        sign_in_throttled()
        raise SignInThrottled(max(1, math.ceil(retry_after)))

    if not await _password_matches(user, password):
        await record(Action.SIGN_IN_FAILED, actor=who)
        raise SignInFailed(name)
    assert user is not None  # _password_matches is False without one
    await SignInAttempt.update({SignInAttempt.failed: False}).where(
        SignInAttempt.id == attempt["id"]
    )
    # Piccolo's user table keeps a naive timestamp: UTC, as everything else here.
    last_login = now.replace(tzinfo=None)
    await BaseUser.update({BaseUser.last_login: last_login}).where(BaseUser.id == user["id"])
    token, session_id = await open_session(user["id"])
    await record(Action.SIGNED_IN, actor=dataclasses.replace(who, session_id=session_id))
    return SignedIn(token=token, username=username)


def unknown_name(username: str, key: bytes) -> str:
    """How a name no owner has is kept: its keyed hash (a password typed as a name stays
    unreadable, yet one name's guesses still add up). The space: no owner's name has one."""
    digest = hmac.new(key, username.encode(), hashlib.sha256).hexdigest()
    return f"(unknown {digest[:32]})"


async def _held_back_since(
    attempt: int, now: datetime, name: str, address: str, network: str, device: str
) -> datetime | None:
    """When the oldest failure that holds this attempt back happened, if one does."""
    limits = [
        (
            SignInAttempt.device == device
            if device
            else (SignInAttempt.device == "")
            & ((SignInAttempt.username == name) | (SignInAttempt.address == address)),
            MAX_FAILURES,
        )
    ]
    if not device:  # a known browser is never held back by its neighbours
        same_network = (SignInAttempt.device == "") & (SignInAttempt.network == network)
        limits.append((same_network, NETWORK_FAILURES))
    for same_client, most in limits:
        held = await (
            SignInAttempt.select(SignInAttempt.at)
            .where(
                SignInAttempt.failed.eq(True)
                & (SignInAttempt.at > now - WINDOW)
                & (SignInAttempt.id < attempt)
                & same_client
            )
            .order_by(SignInAttempt.at, ascending=False)
            .offset(most - 1)
            .first()
        )
        if held is not None:
            at: datetime = held["at"]
            return at
    return None


async def forget_old_noise(now: datetime) -> None:
    noise = [Action.SIGN_IN_FAILED.value, Action.SIGN_IN_THROTTLED.value]
    await AuditEntry.delete().where(
        AuditEntry.action.is_in(noise) & (AuditEntry.at < now - NOISE_RETENTION)
    )


async def unlock(username: str, *, actor: str = "command line") -> int:
    """Forget the failed sign-ins for `username` (the `owner unlock` command); how many."""
    rows = await (
        SignInAttempt.delete()
        .where((SignInAttempt.username == username[:100]) & SignInAttempt.failed.eq(True))
        .returning(SignInAttempt.id)
    )
    await record(Action.OWNER_UNLOCKED, actor=actor, detail=f"owner {username}")
    return len(rows)


async def sign_out(token: str | None, address: str) -> Owner | None:
    owner = await close_session(token)
    if owner is not None:
        await record(Action.SIGNED_OUT, actor=dataclasses.replace(owner.who, address=address))
    return owner


@functools.cache
def _hasher() -> ThreadPoolExecutor:
    """The worker's one password-hashing thread, made at its first sign-in."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")


async def _password_matches(user: dict[str, Any] | None, password: str) -> bool:
    if user is not None:
        _, iterations, salt, _ = BaseUser.split_stored_password(user["password"])
        stored = user["password"]
    else:
        iterations, salt, stored = str(BaseUser._pbkdf2_iteration_count), _NOBODY_SALT, ""
    # PBKDF2 releases the GIL: in a thread it costs this request time, not everyone's. One
    # thread a worker: a flood of guesses queues for it instead of taking every core.
    hashed = await asyncio.get_running_loop().run_in_executor(
        _hasher(),
        BaseUser.hash_password,
        password[: BaseUser._max_password_length],
        salt,
        int(iterations),
    )
    return user is not None and bool(user["active"]) and hmac.compare_digest(hashed, stored)
