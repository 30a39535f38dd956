"""The sender: claims due outbox rows, sends them over SMTP, marks them; one task per worker."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiosmtplib
from piccolo.engine.postgres import PostgresEngine

from app.db import Engine, bound_engine, utcnow
from app.mail.claims import claim, mark, mark_not_sent
from app.mail.compose import Letter, message
from app.mail.config import MailSettings
from app.mail.outbox import MailSite, postbox_for, unwritten
from app.mail.tables import MailState
from app.metrics.store import mail_failed

logger = logging.getLogger("app.mail")

DAY = 86_400.0
BATCH = 20
NO_SERVER = "not sent: no mail server configured"
# After a wake, commits this close behind it share one claim and one read for their words.
GATHER_SECONDS = 0.05
# Puts arrows' emails into words when claimed, in their order (the orders room knows how).
Writer = Callable[[list[dict[str, Any]]], Awaitable[list[Letter]]]


class Sender:
    def __init__(self, settings: MailSettings, writer: Writer) -> None:
        self.settings = settings
        self.writer = writer
        self._due = asyncio.Event()
        self._stopping = False
        self._postgres = isinstance(bound_engine(), PostgresEngine)

    def wake(self) -> None:
        self._due.set()

    def stop(self) -> None:
        """Finish the message under way and stop (what is claimed and unsent waits its lease)."""
        self._stopping = True
        self._due.set()

    async def run(self) -> None:
        while not self._stopping:
            self._due.clear()
            try:
                handled = await self.round()
            except Exception:  # a database hiccup: try again at the next poll
                logger.exception("mail: a round failed")
                handled = 0
            if handled == BATCH:  # more may be due
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._due.wait(), self.settings.poll_seconds)
            if self._due.is_set() and not self._stopping:
                await asyncio.sleep(GATHER_SECONDS)

    async def round(self) -> int:
        """Claim what is due, send it, mark it; how many rows it handled."""
        lease = secrets.token_hex(8)
        rows = await claim(lease, self.settings.lease_seconds, BATCH, postgres=self._postgres)
        worded = await self._worded(rows, lease)
        if worded:
            await self._deliver(worded, lease)
        return len(rows)

    async def _worded(self, rows: list[dict[str, Any]], lease: str) -> list[dict[str, Any]]:
        """The rows with their words; those worded now keep them when they are marked."""
        unworded = [row for row in rows if unwritten(row)]
        if not unworded:
            return rows
        try:
            letters = await self.writer(unworded)
        except Exception as exc:  # a bug in a template must not stop the sender
            logger.exception("mail: could not put %s emails into words", len(unworded))
            for row in unworded:
                await self._retry(row, lease, f"{type(exc).__name__}: {exc}")
            return [row for row in rows if not unwritten(row)]
        words = {row["id"]: _words(letter) for row, letter in zip(unworded, letters, strict=True)}
        return [{**row, **words.get(row["id"], {})} for row in rows]

    async def _deliver(self, rows: list[dict[str, Any]], lease: str) -> None:
        """Send the claimed rows over one connection (a new one after any failure)."""
        if self.settings.smtp is None:
            for row in rows:
                logger.info("mail (not sent, no SMTP_URL): %s %s", row["subject"], row["link"])
            await mark_not_sent(rows, lease, NO_SERVER)
            return
        client: aiosmtplib.SMTP | None = None
        try:
            for row in rows:
                if self._stopping:
                    break
                try:
                    client = client or await self._connect()
                    await client.send_message(message(row, self.settings.mail_from))
                except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
                    await self._failed(row, lease, exc)
                    await _close(client)
                    client = None
                    continue
                await mark(row, lease, MailState.SENT, "", sent_at=utcnow())
        finally:
            await _close(client)

    async def _connect(self) -> aiosmtplib.SMTP:
        smtp = self.settings.smtp
        assert smtp is not None
        client = aiosmtplib.SMTP(
            hostname=smtp.host,
            port=smtp.port,
            username=smtp.username,
            password=smtp.password,
            use_tls=smtp.use_tls,
            start_tls=smtp.start_tls,
            timeout=self.settings.timeout_seconds,
        )
        await client.connect()
        return client

    async def _failed(self, row: dict[str, Any], lease: str, exc: Exception) -> None:
        """A 5xx answer fails the row for good; anything else is tried again later."""
        if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
            codes = [refusal.code for refusal in exc.recipients]
            said = "; ".join(f"{r.code} {r.message}" for r in exc.recipients)
            if codes and min(codes) >= 500:
                await _mark_failed(row, lease, said)
                return
        elif isinstance(exc, aiosmtplib.SMTPResponseException) and exc.code >= 500:
            await _mark_failed(row, lease, f"{exc.code} {exc.message}")
            return
        await self._retry(row, lease, f"{type(exc).__name__}: {exc}")

    async def _retry(self, row: dict[str, Any], lease: str, error: str) -> None:
        wait = min(3600.0, self.settings.retry_seconds * 2 ** (row["attempts"] - 1))
        if time.time() + wait - row["queued_at"] > DAY:
            await _mark_failed(row, lease, f"gave up after a day: {error}")
            return
        mail_failed("retrying")
        logger.warning("mail %s: will retry in %.0f s (%s)", row["id"], wait, error[:200])
        await mark(row, lease, MailState.RETRYING, error, due_at=time.time() + wait)


def _words(letter: Letter) -> dict[str, Any]:
    # "worded": words this claim wrote, saved with the row's mark (one UPDATE, not two).
    return {"subject": letter.subject, "text_body": letter.text, "html_body": letter.html,
            "link": letter.link, "worded": True}  # fmt: skip


async def _mark_failed(row: dict[str, Any], lease: str, error: str) -> None:
    logger.error("mail failed: %s", error[:200])
    mail_failed("failed")
    await mark(row, lease, MailState.FAILED, error)


async def _close(client: aiosmtplib.SMTP | None) -> None:
    if client is not None and client.is_connected:
        with contextlib.suppress(aiosmtplib.SMTPException, OSError, TimeoutError):
            await client.quit()
    if client is not None:
        client.close()


def mail_sender(
    engine: Engine, settings: MailSettings, site: MailSite, writer: Writer
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    """The lifespan part that runs this worker's sender, woken by commits that wrote mail."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        sender = Sender(settings, writer)
        postbox = postbox_for(engine)
        postbox.site = site
        postbox.wakers.append(sender.wake)
        task = asyncio.create_task(sender.run(), name="mail-sender")
        try:
            yield
        finally:
            postbox.wakers.remove(sender.wake)
            # Stopped, not cancelled: a task cancelled inside a transaction can keep its pooled
            # connection, and closing the pool then waits for it forever.
            sender.stop()
            try:
                await asyncio.wait_for(asyncio.shield(task), settings.timeout_seconds + 5)
            except TimeoutError:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    return lifespan
