"""Metrics wired into the app: Litestar's Prometheus middleware, and /metrics for METRICS_ALLOW."""

from __future__ import annotations

import ipaddress
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Any

from litestar import get
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.middleware.base import DefineMiddleware
from litestar.plugins.prometheus import PrometheusConfig
from litestar.response import Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
    values,
)

from app.metrics.figures import read_figures
from app.metrics.requests import RequestMetrics
from app.orders.throttle import IPNetwork, TrustedProxies
from app.web import AnyRequest

logger = logging.getLogger("app.metrics")
# Prometheus's text format; the charset Litestar adds.
_TEXT_FORMAT = CONTENT_TYPE_LATEST.removesuffix("; charset=utf-8")


UNMETERED = "unmetered"  # a route's opt key: its requests are not counted


def request_metrics() -> DefineMiddleware:
    return PrometheusConfig(
        app_name="shop",
        prefix="shop",
        group_path=True,  # the route's template: one series per route, not per order id
        # Marked on the route (below) rather than a path pattern: a dict lookup per request
        # instead of a regular expression over every path.
        exclude_opt_key=UNMETERED,
        middleware_class=RequestMetrics,
    ).middleware


def count_across_workers(directory: Path | None) -> None:
    """With PROMETHEUS_MULTIPROC_DIR, every worker of the server writes its counts there and
    any worker's /metrics adds them up. Called before any metric is made in this process."""
    if directory is None:
        return
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(directory)
    if values.ValueClass is values.MutexValue:
        values.ValueClass = values.MultiProcessValue()  # type: ignore[no-untyped-call]


def metrics_lifespan(
    directory: Path | None, workers: int
) -> Callable[[Any], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def lifespan(_: Any) -> AsyncIterator[None]:
        if directory is None and workers > 1:
            logger.warning(
                "metrics: %d workers and no PROMETHEUS_MULTIPROC_DIR: /metrics counts only the "
                "worker that answers it (`make serve` sets one up)",
                workers,
            )
        try:
            yield
        finally:
            if directory is not None:
                # A stopped worker's open streams are no longer open.
                multiprocess.mark_process_dead(os.getpid(), str(directory))  # type: ignore[no-untyped-call]

    return lifespan


def metrics_endpoint(
    allow: Sequence[IPNetwork], proxies: TrustedProxies, directory: Path | None
) -> HTTPRouteHandler:
    """GET /metrics, for clients in METRICS_ALLOW; anyone else finds nothing there (404)."""

    @get("/metrics", cache=False, opt={UNMETERED: True})
    async def metrics(request: AnyRequest) -> Response[bytes]:
        if not _allowed(proxies.client_address(request.scope), allow):
            raise NotFoundException()
        registry = CollectorRegistry()
        if directory is not None:
            multiprocess.MultiProcessCollector(registry, str(directory))  # type: ignore[no-untyped-call]
        else:
            registry.register(REGISTRY)
        registry.register(await read_figures())
        return Response(generate_latest(registry), media_type=_TEXT_FORMAT)

    return metrics


def _allowed(address: str, allow: Sequence[IPNetwork]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in network for network in allow)
