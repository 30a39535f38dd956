"""Litestar's request metrics (its names, labels and types), each route's series found once."""

from __future__ import annotations

import time
from typing import Any

from litestar.enums import ScopeType
from litestar.plugins.prometheus import PrometheusMiddleware
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR
from litestar.types import Message, Receive, Scope, Send

# (method, route template, status): the series of the requests total, durations and errors.
_Key = tuple[str, str, int]


class RequestMetrics(PrometheusMiddleware):
    """PrometheusMiddleware's counts by route template (`group_path`), with no duration for a
    stream (its duration is its life). Its own __call__ asks prometheus_client for a label set's
    series four times a request (about a tenth of POST /cart's CPU, make bench); this one keeps
    each (method, route, status)'s series, a set as small as the routes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._series: dict[_Key, tuple[Any, Any, Any]] = {}
        self._in_progress: dict[tuple[str, str], Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope["method"] if scope["type"] == ScopeType.HTTP else str(scope["type"])
        route = scope["path_template"]
        handler = scope.get("route_handler")
        stream = bool(handler and handler.opt.get("stream"))
        start, status, duration = time.perf_counter(), 200, 0.0

        async def timed_send(message: Message) -> None:
            nonlocal status, duration
            if message["type"] == "http.response.start":
                status = message["status"]
            elif message["type"] == "http.response.body":
                duration = time.perf_counter() - start
            await send(message)

        in_progress = self._in_progress.get((method, route))
        if in_progress is None:
            labels = self._labels(method, route, 200)
            in_progress = self.requests_in_progress(labels).labels(*labels.values())
            self._in_progress[(method, route)] = in_progress
        in_progress.inc()
        try:
            await self.app(scope, receive, timed_send)
        finally:
            in_progress.dec()
            count, timing, errors = self._series_of((method, route, status), timed=not stream)
            if errors is not None:
                errors.inc()
            count.inc()
            if timing is not None:
                timing.observe(duration)

    def _series_of(self, key: _Key, *, timed: bool) -> tuple[Any, Any, Any]:
        series = self._series.get(key)
        if series is None:
            labels = self._labels(*key)
            values = labels.values()
            # As Litestar's: a stream's route has no duration series and a status below 500 no
            # error series, not even an empty one.
            timing = self.request_time(labels).labels(*values) if timed else None
            failed = key[2] >= HTTP_500_INTERNAL_SERVER_ERROR
            errors = self.requests_error_count(labels).labels(*values) if failed else None
            series = self._series[key] = (
                self.request_count(labels).labels(*values),
                timing,
                errors,
            )
        return series

    def _labels(self, method: str, route: str, status: int) -> dict[str, str | int | float]:
        # Litestar's default labels, in its order: the metrics keep their label names.
        return {"method": method, "path": route, "status_code": status,
                "app_name": self._config.app_name}  # fmt: skip
