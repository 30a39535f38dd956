"""The running sandbox: its settings, engine, pages, the current faults, and the background loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from litestar import Litestar, Request
from litestar.di import NamedDependency
from piccolo.engine.base import Engine

from stripe_sandbox.database import bind, build_engine, connected
from stripe_sandbox.pages import Pages
from stripe_sandbox.payments import expire_due, settle_due
from stripe_sandbox.settings import Faults, SandboxSettings
from stripe_sandbox.validation import schemas
from stripe_sandbox.webhooks import deliver_due

logger = logging.getLogger("stripe_sandbox")


@dataclass(slots=True)
class Sandbox:
    settings: SandboxSettings
    # The base type: Litestar's signature model refuses a union of two classes in a dependency.
    engine: Engine[Any]
    pages: Pages
    # Replaced whole (never mutated) by the test-only control route.
    faults: Faults

    @classmethod
    def start(cls, settings: SandboxSettings) -> Sandbox:
        """Build the engine and bind the tables to it; nothing connects before the lifespan."""
        schemas()  # read Stripe's description now, not inside the first request's event loop
        engine = build_engine(settings.database)
        bind(engine)
        return cls(settings=settings, engine=engine, pages=Pages(), faults=settings.faults)

    async def tick(self, client: httpx.AsyncClient) -> None:
        """One pass: expire what is past due, settle delayed payments, send due webhooks."""
        await expire_due(self.settings)
        await settle_due(self.settings)
        await deliver_due(self.settings, self.faults, client)

    @asynccontextmanager
    async def lifespan(self, app: Litestar) -> AsyncIterator[None]:
        """The database ready, then the loop running while the app serves, in every worker."""
        async with connected(self.engine):
            task = asyncio.create_task(self._loop(), name="stripe-sandbox-loop")
            try:
                yield
            finally:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _loop(self) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while True:
                try:
                    await self.tick(client)
                except Exception:
                    # A locked or restarting database must not end the loop; the next tick retries.
                    logger.exception("sandbox background pass failed")
                await asyncio.sleep(self.settings.tick_seconds)


# How handlers ask for the running sandbox (provided by the router that mounts them).
SandboxDep = NamedDependency[Sandbox]
AnyRequest = Request[Any, Any, Any]
