"""A throwaway database per test run: a fresh PostgreSQL database or a SQLite file, migrated."""

from __future__ import annotations

import asyncio
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from app.catalog.shipping import shipping_for
from app.orders.tables import Order, OrderLine, OrderStatus
from tests.support.http import ROOT

# Nothing from the developer's own shell may steer the tests toward a real database or Stripe.
FOREIGN = ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "STRIPE_SANDBOX")
FOREIGN_PREFIXES = ("DATABASE_URL", "SQLITE_PATH", "SANDBOX_", "PUBLIC_URL", "SECRET_KEY")


def create_database(admin_url: str | None) -> tuple[dict[str, str], str | None]:
    """The store's database variables for a new database, and its name if it must be dropped."""
    if admin_url:
        name = f"shop_test_{secrets.token_hex(4)}"
        run_sql(admin_url, f'CREATE DATABASE "{name}"')
        return {"DATABASE_URL": urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))}, name
    folder = Path(tempfile.mkdtemp(prefix="shop-test-"))
    return {"SQLITE_PATH": str(folder / "shop.sqlite3")}, None


def drop_database(admin_url: str, name: str) -> None:
    run_sql(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(env: Mapping[str, str], *command: str) -> None:
    """Run a migration command (the store's by default) in a process of its own, as an operator."""
    args = command or ("-m", "piccolo.main", "migrations", "forwards", "all")
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=dict(env), capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def run_sql(url: str, statement: str) -> None:
    async def run() -> None:
        import asyncpg

        connection = await asyncpg.connect(url)
        try:
            await connection.execute(statement)
        finally:
            await connection.close()

    asyncio.run(run())


def clean_environment(env: Mapping[str, str]) -> dict[str, str]:
    return {
        name: value
        for name, value in env.items()
        if name not in FOREIGN and not name.startswith(FOREIGN_PREFIXES)
    }


async def stored_order(
    token: str,
    lines: Sequence[tuple[str, str, int, int]],
    *,
    visitor_id: str = "v" * 24,
    status: OrderStatus = OrderStatus.PAID,
    **values: Any,
) -> int:
    """An order written straight to the database: `lines` as (sku, name, unit price, quantity),
    its subtotal, shipping and total as a Buy would have stored them."""
    items = sum(price * quantity for _, _, price, quantity in lines)
    shipping = shipping_for(items).amount_cents
    [row] = await Order.insert(
        Order(
            visitor_id=visitor_id,
            checkout_token=token,
            status=status.value,
            currency="usd",
            subtotal_cents=items,
            shipping_cents=shipping,
            total_cents=items + shipping,
            **values,
        )
    ).returning(Order.id)
    await OrderLine.insert(
        *(
            OrderLine(order=row["id"], sku=sku, name=name, unit_price_cents=price, quantity=qty)
            for sku, name, price, qty in lines
        )
    )
    return int(row["id"])
