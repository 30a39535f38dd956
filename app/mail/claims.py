"""The outbox rows' statements: a sender's claim, and its marks (raw, each one statement)."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from app.db import atomic
from app.mail.tables import Mail, MailState

# Due: queued or retrying whose time has come, or claimed by a sender whose lease ran out; the
# first condition is the partial index's (shop_mail_due), so both engines scan only that index.
# The condition again on the outer UPDATE: of two senders claiming at once, one gets each row.
_CLAIM = """
    UPDATE shop_mail SET state = 'sending', lease = {}, lease_until = {}, attempts = attempts + 1
     WHERE id IN (SELECT id FROM shop_mail
                   WHERE state IN ('queued', 'retrying', 'sending')
                     AND ((state IN ('queued', 'retrying') AND due_at <= {})
                          OR (state = 'sending' AND lease_until < {}))
                   ORDER BY id LIMIT {}{skip_locked})
       AND ((state IN ('queued', 'retrying') AND due_at <= {})
            OR (state = 'sending' AND lease_until < {}))
    RETURNING id, key, order_id, kind, to_address, subject, text_body, html_body, link,
              refunded_cents, attempts, queued_at
"""
# Raw for the same reason as the outbox's INSERT; a NULL leaves that column as it was. Only the
# claim that still holds the row (its lease) may mark it: one whose lease ran out lost it.
_WORDS = ("subject", "text_body", "html_body", "link")
_MARK = """
    UPDATE shop_mail SET state = {}, last_error = {}, lease = NULL,
           due_at = COALESCE({}, due_at), sent_at = COALESCE({}, sent_at),
           subject = COALESCE({}, subject), text_body = COALESCE({}, text_body),
           html_body = COALESCE({}, html_body), link = COALESCE({}, link)
     WHERE id = {} AND lease = {}
"""
# Nothing to wait for between them: a claimed batch marked "not sent" in one statement.
_NOT_SENT = """
    WITH w (id, subject, text_body, html_body, link) AS (VALUES {rows})
    UPDATE shop_mail SET state = 'not_sent', last_error = {}, lease = NULL,
           subject = COALESCE(w.subject, shop_mail.subject),
           text_body = COALESCE(w.text_body, shop_mail.text_body),
           html_body = COALESCE(w.html_body, shop_mail.html_body),
           link = COALESCE(w.link, shop_mail.link)
      FROM w
     WHERE shop_mail.id = w.id AND shop_mail.lease = {}
"""


async def claim(
    lease: str, lease_seconds: float, limit: int, *, postgres: bool
) -> list[dict[str, Any]]:
    """Up to `limit` due rows, held under `lease` for `lease_seconds`."""
    now = time.time()
    # PostgreSQL: senders skip each other's rows instead of queueing behind their locks.
    sql = _CLAIM.replace("{skip_locked}", " FOR UPDATE SKIP LOCKED" if postgres else "")
    query = Mail.raw(sql, lease, now + lease_seconds, now, now, limit, now, now)
    rows: list[dict[str, Any]]
    if postgres:  # one statement is a transaction of its own
        rows = await query
    else:
        async with atomic():  # SQLite: the write lock up front, so it waits, not fails
            rows = await query
    return rows


async def mark(
    row: dict[str, Any],
    lease: str,
    state: MailState,
    error: str,
    *,
    due_at: float | None = None,
    sent_at: datetime | None = None,
) -> None:
    """Set the row's state (and the words this claim wrote), if this claim still holds it (a
    lease that ran out lost it)."""
    words = [row[name] if row.get("worded") else None for name in _WORDS]
    await Mail.raw(_MARK, state.value, error[:500], due_at, sent_at, *words, row["id"], lease)


async def mark_not_sent(rows: list[dict[str, Any]], lease: str, error: str) -> None:
    values = [
        v for row in rows
        for v in (row["id"], *(row[name] if row.get("worded") else None for name in _WORDS))
    ]  # fmt: skip
    each = ", ".join(["(CAST({} AS INTEGER), {}, {}, {}, {})"] * len(rows))
    await Mail.raw(_NOT_SENT.replace("{rows}", each), *values, error[:500], lease)
