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

from app.sandbox.config import Faults, SandboxConfig
from app.sandbox.db import now
from app.sandbox.faults import chance
from app.sandbox.tables import SandboxEvent

logger = logging.getLogger("app.sandbox.webhooks")

E = SandboxEvent
_BATCH = 20
# Stripe stops retrying after about three days; the backoff never waits longer than this.
_MAX_BACKOFF = timedelta(days=3)


def signature_header(payload: bytes, secret: str, timestamp: int | None = None) -> str:
    """Stripe's `t=…,v1=…`: HMAC-SHA256 of "{t}.{body}" with the endpoint's signing secret."""
    stamp = int(time.time()) if timestamp is None else timestamp
    signed = f"{stamp}.".encode() + payload
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={stamp},v1={digest}"


async def deliver_due(config: SandboxConfig, faults: Faults, client: httpx.AsyncClient) -> int:
    """Send every attempt that is due and that this worker wins the claim for."""
    due = (
        await E.select(E.id, E.attempts)
        .where(E.account == config.account, E.next_attempt_at <= now())
        .order_by(E.id)
        .limit(_BATCH)
    )
    claimed = [row for row in await asyncio.gather(*(_claim(config, row) for row in due)) if row]
    await asyncio.gather(*(_attempt(config, faults, client, row) for row in claimed))
    return len(claimed)


async def _claim(config: SandboxConfig, row: dict[str, Any]) -> dict[str, Any] | None:
    # The claim pushes next_attempt_at past the send: a worker that dies mid-send is retried later.
    lease = now() + timedelta(seconds=config.delivery_timeout_seconds * 2 + 5)
    rows = (
        await E.update({E.attempts: E.attempts + 1, E.next_attempt_at: lease})
        .where(E.id == row["id"], E.attempts == row["attempts"], E.next_attempt_at <= now())
        .returning(E.id, E.event_id, E.payload, E.webhook_url, E.attempts)
    )
    return rows[0] if rows else None


async def _attempt(
    config: SandboxConfig, faults: Faults, client: httpx.AsyncClient, row: dict[str, Any]
) -> None:
    status = await _send(config, faults, client, row["webhook_url"], row["payload"].encode())
    delivered = 200 <= status < 300
    attempts: int = row["attempts"]
    if delivered or attempts >= config.max_attempts:
        next_at = None
    else:
        backoff = timedelta(seconds=config.retry_base_seconds * 2 ** (attempts - 1))
        next_at = now() + min(backoff, _MAX_BACKOFF)
    await E.update(
        {E.delivered: delivered, E.next_attempt_at: next_at, E.last_status: status}
    ).where(E.id == row["id"], E.attempts == attempts)
    if not delivered:
        logger.info("webhook %s attempt %d failed (%d)", row["event_id"], attempts, status)


async def _send(
    config: SandboxConfig, faults: Faults, client: httpx.AsyncClient, url: str, payload: bytes
) -> int:
    """The endpoint's HTTP status; 0 for a dropped delivery, a timeout or a refused connection."""
    if chance(faults.drop_rate):
        return 0
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        "Stripe-Signature": signature_header(payload, config.webhook_secret),
    }
    try:
        response = await client.post(
            url, content=payload, headers=headers, timeout=config.delivery_timeout_seconds
        )
    except httpx.HTTPError as error:
        logger.info("webhook to %s failed: %s", url, type(error).__name__)
        return 0
    return response.status_code
