"""GET /healthz: 200 while the database answers, 503 when it does not."""

from __future__ import annotations

import asyncio
import logging

from litestar import MediaType, get
from litestar.response import Response
from piccolo.querystring import QueryString

from app.db import bound_engine

logger = logging.getLogger("app.health")


_TIMEOUT_SECONDS = 2.0


async def database_answers() -> bool:
    try:
        async with asyncio.timeout(_TIMEOUT_SECONDS):
            await bound_engine().run_querystring(QueryString("SELECT 1"))
    except Exception:
        # Whatever the driver raised, the answer for a load balancer is the same: not now.
        logger.warning("health check: the database did not answer", exc_info=True)
        return False
    return True


@get("/healthz", media_type=MediaType.TEXT, cache=False)
async def healthz() -> Response[str]:
    if await database_answers():
        return Response("ok", status_code=200)
    return Response("database unavailable", status_code=503)
