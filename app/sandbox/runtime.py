"""The running sandbox: its config, the current faults, and the background loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass

import httpx
from litestar import Litestar
from litestar.di import NamedDependency

from app.sandbox.config import Faults, SandboxConfig
from app.sandbox.payments import expire_due, settle_due
from app.sandbox.validation import schemas
from app.sandbox.webhooks import deliver_due

logger = logging.getLogger("app.sandbox")


@dataclass(slots=True)
class Sandbox:
    config: SandboxConfig
    # Replaced whole (never mutated) by the test-only control route.
    faults: Faults

    @classmethod
    def start(cls, config: SandboxConfig) -> Sandbox:
        schemas()  # read Stripe's description now, not inside the first request's event loop
        return cls(config=config, faults=config.faults)

    async def tick(self, client: httpx.AsyncClient) -> None:
        """One pass: expire what is past due, settle delayed payments, send due webhooks."""
        await expire_due(self.config)
        await settle_due(self.config)
        await deliver_due(self.config, self.faults, client)

    @asynccontextmanager
    async def background(self) -> AsyncIterator[None]:
        """The lifespan part: the loop runs while the app serves, in every worker."""
        task = asyncio.create_task(self._loop(), name="stripe-sandbox-loop")
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def lifespan(self, app: Litestar) -> AbstractAsyncContextManager[None]:
        """For Litestar(lifespan=[…]); also tells the store's pages that payments are simulated."""
        app.state.stripe_sandbox = True
        return self.background()

    async def _loop(self) -> None:
        async with httpx.AsyncClient(follow_redirects=False) as client:
            while True:
                try:
                    await self.tick(client)
                except Exception:
                    # A locked or restarting database must not end the loop; the next tick retries.
                    logger.exception("sandbox background pass failed")
                await asyncio.sleep(self.config.tick_seconds)


# How handlers ask for the running sandbox (provided by the router that mounts them).
SandboxDep = NamedDependency[Sandbox]
