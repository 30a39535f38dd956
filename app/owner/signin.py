"""sign_in and sign_out: a throttled, constant-cost password check that never blocks the loop."""

from __future__ import annotations

import asyncio
import functools
import hmac
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.audit.tables import AuditEntry
from app.audit.trail import Action, record
from app.db import utcnow
from app.metrics.store import sign_in_throttled
from app.owner.sessions import Owner, close_session, open_session
from app.owner.tables import BaseUser, SignInAttempt

MAX_FAILURES = 5
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
    username: str, password: str, address: str, device: str | None = None
) -> SignedIn:
    """A new session for the owner, or SignInFailed / SignInThrottled; every outcome audited.

    `device` is the nonce of a valid device cookie for this name (a browser that signed in as
    it before): its failures count against that browser only, and nobody else's count against
    it, so strangers can slow down guessing without locking the owner out (OWASP's device
    cookies). Without one, failures count per name and per address, among unknown browsers.
    """
    username, address, device = username[:100], address[:64], (device or "")[:32]
    now = utcnow()
    # Counted before the password is looked at, and this attempt first: concurrent guesses
    # each see the ones inserted before them, so a burst cannot slip past the limit.
    [attempt] = await SignInAttempt.insert(
        SignInAttempt(username=username, address=address, at=now, failed=True, device=device)
    ).returning(SignInAttempt.id)
    await SignInAttempt.delete().where(SignInAttempt.at < now - WINDOW)
    await forget_old_noise(now)
    same_client = (
        SignInAttempt.device == device
        if device
        else (SignInAttempt.device == "")
        & ((SignInAttempt.username == username) | (SignInAttempt.address == address))
    )
    fifth = await (
        SignInAttempt.select(SignInAttempt.at)
        .where(
            SignInAttempt.failed.eq(True)
            & (SignInAttempt.at > now - WINDOW)
            & (SignInAttempt.id < attempt["id"])
            & same_client
        )
        .order_by(SignInAttempt.at, ascending=False)
        .offset(MAX_FAILURES - 1)
        .first()
    )
    if fifth is not None:
        await SignInAttempt.delete().where(SignInAttempt.id == attempt["id"])
        # Once per burst: every throttled try of it names the same fifth failure.
        burst = f"throttled {fifth['at'].isoformat()} {address} {username[:100]}"
        await record(Action.SIGN_IN_THROTTLED, actor=username, address=address, reference=burst)
        retry_after = (fifth["at"] + WINDOW - now).total_seconds()
        sign_in_throttled()
        raise SignInThrottled(max(1, math.ceil(retry_after)))

    user_id = await _check_password(username, password)
    if user_id is None:
        await record(Action.SIGN_IN_FAILED, actor=username, address=address)
        raise SignInFailed(username)
    await SignInAttempt.update({SignInAttempt.failed: False}).where(
        SignInAttempt.id == attempt["id"]
    )
    # Piccolo's user table keeps a naive timestamp: UTC, as everything else here.
    last_login = now.replace(tzinfo=None)
    await BaseUser.update({BaseUser.last_login: last_login}).where(BaseUser.id == user_id)
    token = await open_session(user_id)
    await record(Action.SIGNED_IN, actor=username, address=address)
    return SignedIn(token=token, username=username)


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
        await record(Action.SIGNED_OUT, actor=owner.username, address=address)
    return owner


@functools.cache
def _hasher() -> ThreadPoolExecutor:
    """The worker's one password-hashing thread, made at its first sign-in."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="password-hash")


async def _check_password(username: str, password: str) -> int | None:
    user = await (
        BaseUser.select(BaseUser.id, BaseUser.password, BaseUser.active)
        .where(BaseUser.username == username)
        .first()
    )
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
    if user is None or not user["active"] or not hmac.compare_digest(hashed, stored):
        return None
    return int(user["id"])
