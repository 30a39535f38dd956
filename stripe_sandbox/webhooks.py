"""Webhook delivery: Stripe-Signature headers, claimed attempts, retries with backoff."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import time
from datetime import timedelta
from typing import Any

import httpx

from stripe_sandbox.database import now
from stripe_sandbox.faults import chance
from stripe_sandbox.settings import Faults, SandboxSettings
from stripe_sandbox.tables import SandboxEvent

logger = logging.getLogger("stripe_sandbox.webhooks")

_BATCH = 20
# Stripe stops retrying after about three days; the backoff never waits longer than this.
_MAX_BACKOFF = timedelta(days=3)


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's `t=…,v1=…`: HMAC-SHA256 of "{t}.{body}" with the endpoint's signing secret."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


async def deliver_due(settings: SandboxSettings, faults: Faults, client: httpx.AsyncClient) -> int:
    """Send every attempt that is due and that this worker wins the claim for."""
    due = (
        await SandboxEvent.select(SandboxEvent.id, SandboxEvent.attempts)
        .where(SandboxEvent.account == settings.account, SandboxEvent.next_attempt_at <= now())
        .order_by(SandboxEvent.id)
        .limit(_BATCH)
    )
    claimed = [row for row in await asyncio.gather(*(_claim(settings, row) for row in due)) if row]
    await asyncio.gather(*(_attempt(settings, faults, client, row) for row in claimed))
    return len(claimed)


async def _claim(settings: SandboxSettings, row: dict[str, Any]) -> dict[str, Any] | None:
    # The claim pushes next_attempt_at past the send: a worker that dies mid-send is retried later.
    lease = now() + timedelta(seconds=settings.delivery_timeout_seconds * 2 + 5)
    rows = (
        await SandboxEvent.update(
            {SandboxEvent.attempts: SandboxEvent.attempts + 1, SandboxEvent.next_attempt_at: lease}
        )
        .where(
            SandboxEvent.id == row["id"],
            SandboxEvent.attempts == row["attempts"],
            SandboxEvent.next_attempt_at <= now(),
        )
        .returning(
            SandboxEvent.id,
            SandboxEvent.event_id,
            SandboxEvent.payload,
            SandboxEvent.webhook_url,
            SandboxEvent.attempts,
        )
    )
    return rows[0] if rows else None


async def _attempt(
    settings: SandboxSettings, faults: Faults, client: httpx.AsyncClient, row: dict[str, Any]
) -> None:
    status = await _send(settings, faults, client, row["webhook_url"], row["payload"].encode())
    delivered = 200 <= status < 300
    attempts: int = row["attempts"]
    if delivered or attempts >= settings.max_attempts:
        next_at = None
    else:
        backoff = timedelta(seconds=settings.retry_base_seconds * 2 ** (attempts - 1))
        next_at = now() + min(backoff, _MAX_BACKOFF)
    await SandboxEvent.update(
        {
            SandboxEvent.delivered: delivered,
            SandboxEvent.next_attempt_at: next_at,
            SandboxEvent.last_status: status,
        }
    ).where(SandboxEvent.id == row["id"], SandboxEvent.attempts == attempts)
    if not delivered:
        logger.info("webhook %s attempt %d failed (%d)", row["event_id"], attempts, status)


async def _send(
    settings: SandboxSettings, faults: Faults, client: httpx.AsyncClient, url: str, payload: bytes
) -> int:
    """The endpoint's HTTP status; 0 for a dropped delivery, a timeout or a refused connection."""
    if chance(faults.drop_rate):
        return 0
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signature_header(payload, settings.webhook_secret),
    }
    try:
        response = await client.post(
            url, content=payload, headers=headers, timeout=settings.delivery_timeout_seconds
        )
    except httpx.HTTPError as error:
        logger.info("webhook to %s failed: %s", url, type(error).__name__)
        return 0
    return response.status_code
