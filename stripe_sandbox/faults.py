"""Injected trouble for tests and benchmarks: latency, 500s, hung requests, lost webhooks."""

from __future__ import annotations

import asyncio
import random

from stripe_sandbox.errors import api_error
from stripe_sandbox.settings import Faults

# Not for secrets: only decides which requests get a fault.
_random = random.SystemRandom()


def chance(rate: float) -> bool:
    return rate > 0 and _random.random() < rate


async def before_request(faults: Faults) -> None:
    """Run ahead of every API request; raises the 500 a failing Stripe would answer."""
    if faults.latency_ms:
        await asyncio.sleep(faults.latency_ms / 1000)
    if chance(faults.timeout_rate):
        # Longer than any sane client timeout: the client gives up first.
        await asyncio.sleep(faults.hang_seconds)
        raise api_error()
    if chance(faults.error_rate):
        raise api_error()
