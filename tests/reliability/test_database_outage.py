"""PostgreSQL stopped mid-traffic: clear 503s, recovery without a restart, nothing lost."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg
import httpx

from tests.reliability.cluster import Cluster
from tests.reliability.ledger import assert_consistent, sessions_since
from tests.support.checkout import TOKEN, Shopper, deliver, pay, webhook_for
from tests.support.http import HTMX, ROOT, LiveServer, csrf_token
from tests.support.operator import reconcile_command
from tests.support.stripe_sandbox import Receiver, eventually, standalone_sandbox

Request = Callable[[], Awaitable[httpx.Response]]


async def until_served(request: Request, seen: Counter[int], within: float = 30) -> httpx.Response:
    """What a buyer (or Stripe) does with a 503: try again a little later."""
    response: httpx.Response | None = None

    async def served() -> bool:
        nonlocal response
        response = await request()
        seen[response.status_code] += 1
        return response.status_code != 503

    await eventually(served, within=within)
    assert response is not None
    return response


async def background_traffic(url: str, stop: asyncio.Event, seen: Counter[int]) -> None:
    """Browsing and cart changes that keep running while the database goes away and back."""
    async with httpx.AsyncClient(base_url=url, timeout=20) as http:
        page = await until_served(lambda: http.get("/"), seen)
        form = {"_csrf_token": csrf_token(page.text), "qty-mug-350": "1"}
        while not stop.is_set():
            for response in await asyncio.gather(
                http.get("/"), http.post("/cart", data=form, headers=HTMX), http.get("/readyz")
            ):
                seen[response.status_code] += 1


async def open_shop(shopper: Shopper, seen: Counter[int]) -> None:
    page = await until_served(lambda: shopper.http.get("/"), seen)
    shopper.csrf = csrf_token(page.text)
    match = TOKEN.search(page.text)
    assert match
    shopper.checkout_token = match.group(1)


async def orders_in(cluster: Cluster) -> list[dict[str, Any]]:
    connection = await asyncpg.connect(cluster.url)
    try:
        return [dict(row) for row in await connection.fetch("SELECT * FROM shop_order")]
    finally:
        await connection.close()


async def test_a_database_restart_mid_traffic_is_503s_then_recovery_with_nothing_lost(
    cluster: Cluster,
    receiver: Receiver,
    test_env: dict[str, str],
    store_env: Callable[..., dict[str, str]],
) -> None:
    await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        cwd=ROOT, env={**test_env, "DATABASE_URL": cluster.url}, check=True, capture_output=True,
    )  # fmt: skip
    with standalone_sandbox(
        receiver, api_key="sk_test_outage", SANDBOX_SETTLE_SECONDS="86400"
    ) as sandbox:
        env = store_env(sandbox, DATABASE_URL=cluster.url)
        server = LiveServer(env)
        await asyncio.to_thread(server.start)
        try:
            await _traffic_through_an_outage(server, sandbox, receiver, cluster, env)
        finally:
            server.stop()
        assert_consistent(await orders_in(cluster), await sessions_since(sandbox, None))


async def _traffic_through_an_outage(
    server: LiveServer, sandbox: Any, receiver: Receiver, cluster: Cluster, env: dict[str, str]
) -> None:
    seen: Counter[int] = Counter()
    stop = asyncio.Event()
    workers = [asyncio.create_task(background_traffic(server.url, stop, seen)) for _ in range(4)]
    async with (
        httpx.AsyncClient(base_url=server.url, timeout=20) as first,
        httpx.AsyncClient(base_url=server.url, timeout=20) as second,
    ):
        paid_before, caught = Shopper(first, sandbox), Shopper(second, sandbox)
        done = await paid_before.start_checkout({"beans-250": "2"})
        await pay(sandbox, done)
        webhook = await webhook_for(receiver, "checkout.session.completed", done)
        await open_shop(caught, seen)  # its form is in the buyer's hands when the database goes

        await asyncio.to_thread(cluster.stop, "fast")
        during = {
            "shop page": await first.get("/"),
            "buy": await caught.buy({"mug-350": "1"}),
            "success page": await paid_before.success(done),
            "My Orders": await first.get("/orders", headers=HTMX),
            "webhook": await deliver(first, *webhook),
            "readiness": await first.get("/readyz"),
        }
        for what, response in during.items():
            assert response.status_code == 503, (what, response.status_code, response.text[:300])
            assert "Traceback" not in response.text and "asyncpg" not in response.text, what
        assert "briefly unavailable" in during["shop page"].text
        assert during["shop page"].headers["content-type"].startswith("text/html")
        orders = during["My Orders"]
        assert 'id="flash"' in orders.text and orders.headers["hx-retarget"] == "#flash"

        await asyncio.to_thread(cluster.start)

        async def ready() -> bool:
            return (await first.get("/readyz")).status_code == 200

        await eventually(ready, within=30)  # the same process, never restarted
        applied = await until_served(lambda: deliver(first, *webhook), seen)
        assert applied.json() == {"outcome": "applied"}
        page = await until_served(lambda: paid_before.success(done), seen)
        assert "Thank you: payment received" in page.text
        # The form that met the outage goes through now, to exactly one session.
        retried = await until_served(lambda: caught.buy({"mug-350": "1"}), seen)
        assert retried.status_code == 200 and "hx-redirect" in retried.headers, retried.text
        await pay(sandbox, retried.headers["hx-redirect"].rsplit("/", 1)[-1])
    stop.set()
    await asyncio.gather(*workers)

    assert seen[500] == 0 and set(seen) <= {200, 503}, seen
    connection = await asyncpg.connect(cluster.url)
    try:
        await connection.execute(
            "UPDATE shop_order SET created_at = now() - interval '10 minutes',"
            " updated_at = now() - interval '10 minutes'"
        )
    finally:
        await connection.close()
    await reconcile_command(env)
    statuses = sorted(order["status"] for order in await orders_in(cluster))
    assert statuses == ["paid", "paid"], statuses
