"""The store's own metrics, made once per process when first recorded (never at import)."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from typing import TypeVar

from prometheus_client import Counter, Gauge, Histogram

T = TypeVar("T")
# Stripe answers in tens of milliseconds to seconds; the gateway gives up at its timeout.
_STRIPE_BUCKETS = (0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


@dataclass(frozen=True, slots=True)
class StoreMetrics:
    webhooks: Counter
    stripe_seconds: Histogram
    stripe_errors: Counter
    live_streams: Gauge
    mail_failures: Counter
    sign_in_throttles: Counter


@cache
def store_metrics() -> StoreMetrics:
    """In the default registry; with several workers, in the multiprocess directory that
    app/metrics/wiring.py set up before anything was recorded."""
    return StoreMetrics(
        webhooks=Counter(
            "shop_webhook_events_total",
            "Stripe webhook deliveries, by outcome: handled, refused (bad signature), retry (503)",
            ["outcome"],
        ),
        stripe_seconds=Histogram(
            "shop_stripe_call_seconds",
            "Stripe API calls' duration, retries included, by operation",
            ["operation"],
            buckets=_STRIPE_BUCKETS,
        ),
        stripe_errors=Counter(
            "shop_stripe_call_errors_total",
            "Stripe API calls that raised, by operation and error type",
            ["operation", "error"],
        ),
        live_streams=Gauge(
            "shop_live_streams_open",
            "Live update streams open",
            multiprocess_mode="livesum",
        ),
        mail_failures=Counter(
            "shop_mail_send_failures_total",
            "Failed attempts to send an email, by outcome: retrying, failed (for good)",
            ["outcome"],
        ),
        sign_in_throttles=Counter(
            "shop_sign_in_throttles_total", "Owner sign-ins refused by the throttle"
        ),
    )


def webhook_received(outcome: str) -> None:
    store_metrics().webhooks.labels(outcome).inc()


async def stripe_call(operation: str, call: Awaitable[T]) -> T:
    """`call` awaited, its duration observed and its failure counted under `operation`."""
    metrics = store_metrics()
    started = time.perf_counter()
    try:
        return await call
    except Exception as exc:
        metrics.stripe_errors.labels(operation, type(exc).__name__).inc()
        raise
    finally:
        metrics.stripe_seconds.labels(operation).observe(time.perf_counter() - started)


@contextmanager
def open_stream() -> Iterator[None]:
    gauge = store_metrics().live_streams
    gauge.inc()
    try:
        yield
    finally:
        gauge.dec()


def mail_failed(outcome: str) -> None:
    store_metrics().mail_failures.labels(outcome).inc()


def sign_in_throttled() -> None:
    store_metrics().sign_in_throttles.inc()
