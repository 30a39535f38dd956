"""A tests-only app factory: the store stops dead at one named step so a test can SIGKILL it there.

Nothing here is imported by the app: uvicorn loads it with `--factory` only in these tests.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from litestar import Litestar

import app.orders.confirmation
from app.main import create_app as create_store
from app.payments.gateway import PaymentGateway

PAUSE_AT = "SHOP_TEST_PAUSE_AT"
PAUSED_FILE = "SHOP_TEST_PAUSED_FILE"
# After the order is stored, before Stripe is asked; after Stripe made the session, before the
# store saved its id; inside the webhook's transaction, after Stripe's word, before applying it.
STEPS = ("order-stored", "session-created", "fulfilling")


def create_app() -> Litestar:
    step = os.environ[PAUSE_AT]
    marker = Path(os.environ[PAUSED_FILE])

    async def freeze() -> None:
        await asyncio.to_thread(marker.write_text, step)
        await asyncio.Event().wait()  # until the test kills the process

    def paused(call: Callable[..., Awaitable[Any]], *, after: bool) -> Callable[..., Any]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            if not after:
                await freeze()
            result = await call(*args, **kwargs)
            await freeze()
            return result

        return wrapper

    create = PaymentGateway.create_checkout_session
    if step == "order-stored":
        PaymentGateway.create_checkout_session = paused(create, after=False)  # type: ignore[method-assign]
    elif step == "session-created":
        PaymentGateway.create_checkout_session = paused(create, after=True)  # type: ignore[method-assign]
    elif step == "fulfilling":
        confirmation = app.orders.confirmation
        confirmation._apply_session = paused(confirmation._apply_session, after=False)  # type: ignore[assignment]
    else:
        raise ValueError(f"{PAUSE_AT} must be one of {STEPS}, not {step!r}")
    return create_store()
