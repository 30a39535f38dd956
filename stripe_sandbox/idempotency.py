"""Idempotency keys in the database: the first answer is replayed, a changed request refused."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from stripe_sandbox.errors import StripeError, invalid
from stripe_sandbox.tables import SandboxIdempotencyKey

MAX_KEY_LENGTH = 255
_WAIT_POLLS = 40
_POLL_SECONDS = 0.05


@dataclass(frozen=True, slots=True)
class Stored:
    status_code: int
    body: str


def fingerprint(method: str, path: str, pairs: Iterable[tuple[str, str]]) -> str:
    digest = hashlib.sha256(f"{method} {path}".encode())
    for name, value in sorted(pairs):
        digest.update(b"\0" + name.encode() + b"=" + value.encode())
    return digest.hexdigest()


def scoped(account: str, key: str) -> str:
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid(f"Idempotency keys must be 1 to {MAX_KEY_LENGTH} characters long.")
    return f"{account}:{key}"


async def claim(scoped_key: str, print_: str) -> Stored | None:
    """None: this request owns the key and runs. Otherwise the first request's stored answer."""
    inserted = (
        await SandboxIdempotencyKey.insert(
            SandboxIdempotencyKey(scoped_key=scoped_key, fingerprint=print_)
        )
        .on_conflict(target=SandboxIdempotencyKey.scoped_key, action="DO NOTHING")
        .returning(SandboxIdempotencyKey.id)
    )
    if inserted:
        return None
    for _ in range(_WAIT_POLLS):
        row = (
            await SandboxIdempotencyKey.select(
                SandboxIdempotencyKey.fingerprint,
                SandboxIdempotencyKey.status_code,
                SandboxIdempotencyKey.body,
            )
            .where(SandboxIdempotencyKey.scoped_key == scoped_key)
            .first()
        )
        if row is None:
            # The first request failed unexpectedly and let go of the key: this one may run.
            return await claim(scoped_key, print_)
        if row["fingerprint"] != print_:
            raise StripeError(
                400,
                "Keys for idempotent requests can only be used with the same parameters they were "
                "first used with. Try using a key other than the one you sent if you meant to "
                "execute a different request.",
                type="idempotency_error",
            )
        if row["status_code"] is not None:
            return Stored(row["status_code"], row["body"])
        await asyncio.sleep(_POLL_SECONDS)
    raise StripeError(
        409,
        "There is currently another in-progress request using this idempotency key. "
        "Please try again later.",
        code="idempotency_key_in_use",
    )


async def store(scoped_key: str, status_code: int, body: str) -> None:
    await SandboxIdempotencyKey.update(
        {SandboxIdempotencyKey.status_code: status_code, SandboxIdempotencyKey.body: body}
    ).where(SandboxIdempotencyKey.scoped_key == scoped_key)


async def release(scoped_key: str) -> None:
    await SandboxIdempotencyKey.delete().where(
        SandboxIdempotencyKey.scoped_key == scoped_key, SandboxIdempotencyKey.status_code.is_null()
    )
