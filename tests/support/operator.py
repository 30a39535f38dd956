"""What an operator does to a running store: reconcile from the command line, or wait."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta

from app.db import utcnow
from app.orders.tables import Order
from tests.support.http import ROOT


async def reconcile_command(env: dict[str, str]) -> str:
    """`litestar --app app.main:create_app reconcile`, as an operator runs it after a crash."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "litestar", "--app", "app.main:create_app", "reconcile",
        cwd=ROOT, env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def age_orders(minutes: int = 10) -> None:
    """Make every order look untouched for a while, as reconcile leaves young ones alone."""
    then = utcnow() - timedelta(minutes=minutes)
    await Order.update({Order.created_at: then, Order.updated_at: then}, force=True)
