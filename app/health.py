"""GET /healthz: the process answers (liveness). GET /readyz: it can serve (readiness)."""

from __future__ import annotations

import asyncio
import logging

from litestar import MediaType, get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Response
from piccolo.querystring import QueryString

from app.db import bound_engine
from app.live.listener import PostgresListener

logger = logging.getLogger("app.health")


_TIMEOUT_SECONDS = 2.0


async def database_answers() -> bool:
    try:
        async with asyncio.timeout(_TIMEOUT_SECONDS):
            await bound_engine().run_querystring(QueryString("SELECT 1"))
    except Exception as exc:
        # Whatever the driver raised, the answer for a load balancer is the same: not now.
        logger.warning("readiness: the database did not answer (%s)", type(exc).__name__)
        return False
    return True


@get("/healthz", media_type=MediaType.TEXT, cache=False)
async def healthz() -> Response[str]:
    """Never touches the database: an orchestrator restarts a worker that fails this, and a
    database outage is not cured by restarting workers (readiness says that instead)."""
    return Response("ok", status_code=200)


def readiness(listener: PostgresListener | None) -> HTTPRouteHandler:
    """GET /readyz: 503 with a short reason while the database, or on PostgreSQL the live
    updates' LISTEN connection, is lost; a load balancer sends this worker nothing meanwhile."""

    @get("/readyz", media_type=MediaType.TEXT, cache=False)
    async def readyz() -> Response[str]:
        if not await database_answers():
            return Response("not ready: database unavailable", status_code=503)
        if listener is not None and not listener.listening.is_set():
            return Response("not ready: live updates are not listening", status_code=503)
        return Response("ready", status_code=200)

    return readyz
