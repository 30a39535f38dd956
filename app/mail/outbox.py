"""Writing emails into the outbox, inside the caller's transaction; the senders hear at commit."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

from app.db import Engine, atomic, on_commit, utcnow
from app.mail.compose import Letter
from app.mail.tables import Mail, MailState


@dataclass(frozen=True, slots=True)
class MailSite:
    """What a written email needs to know of the site: its address, and who the owner is."""

    public_url: str = "http://127.0.0.1:8000"
    owner_email: str | None = None
    owner_hears_of_sales: bool = False


@dataclass(slots=True)
class Postbox:
    """One per database in a process: the site the emails speak for, and the senders to wake."""

    site: MailSite = MailSite()
    wakers: list[Callable[[], None]] = field(default_factory=list)

    def wake(self) -> None:
        for waker in self.wakers:
            waker()


@cache
def postbox_for(engine: Engine) -> Postbox:
    return Postbox()


class Queued(NamedTuple):
    """An email for the outbox; an arrow's has no words yet (the sender writes them)."""

    key: str  # one per (order, kind, occurrence): a second write of it is skipped
    order_id: int | None
    kind: str
    to_address: str
    subject: str = ""
    text_body: str = ""
    html_body: str = ""
    link: str = ""
    refunded_cents: int | None = None


# Raw, as the sender's claim: Piccolo takes about 0.25 ms of CPU to build this INSERT from a
# Mail row, more than PostgreSQL takes to run it, and every arrow that writes an email pays it.
_INSERT = """
    INSERT INTO shop_mail (key, order_id, kind, to_address, subject, text_body, html_body, link,
                           refunded_cents, state, attempts, queued_at, due_at, last_error,
                           created_at)
    VALUES {rows}
    ON CONFLICT (key) DO NOTHING RETURNING id
"""
_ROW = "({}, {}, {}, {}, {}, {}, {}, {}, {}, 'queued', 0, {}, {}, '', {})"


async def post(engine: Engine, key: str, letter: Letter, *, order_id: int | None) -> bool:
    """Write `letter` once under `key` in the open transaction (False: that key was written
    before); the senders of this process are woken when it commits."""
    mail = Queued(key, order_id, letter.kind, letter.to, letter.subject, letter.text,
                  letter.html, letter.link)  # fmt: skip
    return bool(await enqueue(engine, [mail]))


async def enqueue(engine: Engine, mails: list[Queued]) -> list[int]:
    """Queue `mails` in one INSERT, skipping any whose key was written before; their ids. The
    senders of this process are woken when the transaction commits."""
    if not mails:
        return []
    now, created = time.time(), utcnow()
    values = [v for mail in mails for v in (mail.key[:200], *mail[1:], now, now, created)]
    rows = await Mail.raw(_INSERT.replace("{rows}", ", ".join([_ROW] * len(mails))), *values)
    if rows:
        on_commit(postbox_for(engine).wake)
    return [row["id"] for row in rows]


async def resend(engine: Engine, mail_id: int, key: str) -> dict[str, Any] | None:
    """A new row with the same words as `mail_id` (None if there is no such email); one not yet
    put into words is written when sent, as its original is."""
    async with atomic():
        row = await Mail.select().where(Mail.id == mail_id).first()
        if row is None:
            return None
        await enqueue(engine, [Queued(key, *(row[name] for name in Queued._fields[1:]))])
    return row


async def order_mail(order_id: int) -> list[dict[str, Any]]:
    """The emails of an order, oldest first, each with how it went in words (`said`)."""
    rows = await Mail.select(
        Mail.id, Mail.order_id, Mail.kind, Mail.to_address, Mail.subject, Mail.text_body,
        Mail.refunded_cents, Mail.state, Mail.attempts, Mail.due_at, Mail.last_error,
        Mail.created_at, Mail.sent_at,
    ).where(Mail.order_id == order_id).order_by(Mail.id)  # fmt: skip
    return [{**row, "said": _said(row)} for row in rows]


def unwritten(mail: dict[str, Any]) -> bool:
    """An arrow's email whose words come when it is sent (see Mail.text_body)."""
    return not mail["text_body"] and mail["order_id"] is not None


def _said(row: dict[str, Any]) -> str:
    state, error = MailState(row["state"]), row["last_error"]
    if state is MailState.SENT:
        return f"sent {row['sent_at']:%H:%M:%S} UTC" if row["sent_at"] else "sent"
    if state is MailState.RETRYING:
        next_try = time.strftime("%H:%M:%S", time.gmtime(row["due_at"]))
        return f"retrying (next try at {next_try} UTC; {error})"
    if state is MailState.FAILED:
        return f"failed ({error})"
    if state is MailState.NOT_SENT:
        return str(error)
    return "sending"
