"""/metrics: requests and webhooks counted exactly, workers added up, and closed to outsiders."""

from __future__ import annotations

import asyncio
import dataclasses
import ipaddress
import tempfile

import httpx
from litestar import Litestar
from prometheus_client.parser import text_string_to_metric_families

from app.main import create_app
from app.settings import Settings
from tests.support.checkout import Shopper, deliver, pay, sign, webhook_for
from tests.support.http import LiveServer, browser_like, free_port
from tests.support.live import stream
from tests.support.stripe_sandbox import Receiver, eventually

SHOP_PAGE = {"method": "GET", "path": "/", "status_code": "200"}


def sample(text: str, name: str, **labels: str) -> float:
    """One sample's value in an exposition (0 when the series does not exist yet)."""
    for family in text_string_to_metric_families(text):
        for found in family.samples:
            if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                return found.value
    return 0.0


async def scrape(http: httpx.AsyncClient) -> str:
    response = await http.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=1.0.0; charset=utf-8"
    return response.text


async def test_a_request_and_a_webhook_each_move_their_counters_by_exactly_one(
    shopper: Shopper, receiver: Receiver
) -> None:
    http = shopper.http
    before = await scrape(http)
    await http.get("/")
    after = await scrape(http)
    for name in ("shop_requests_total", "shop_request_duration_seconds_count"):
        assert sample(after, name, **SHOP_PAGE) == sample(before, name, **SHOP_PAGE) + 1, name
    # Scraping is not traffic: /metrics itself is never counted, however often it is asked.
    assert "/metrics" not in {
        found.labels.get("path")
        for family in text_string_to_metric_families(after)
        for found in family.samples
    }

    session_id = await shopper.start_checkout({"mug-350": "1"})
    await pay(shopper.sandbox, session_id)
    body, signature = await webhook_for(receiver, "checkout.session.completed", session_id)
    before = await scrape(http)
    assert (await deliver(http, body, signature)).json() == {"outcome": "applied"}
    middle = await scrape(http)
    assert (await deliver(http, body, sign(body, "whsec_not_ours"))).status_code == 400
    after = await scrape(http)

    def webhooks(text: str, outcome: str) -> float:
        return sample(text, "shop_webhook_events_total", outcome=outcome)

    assert webhooks(middle, "handled") == webhooks(before, "handled") + 1
    assert webhooks(middle, "refused") == webhooks(before, "refused")
    assert webhooks(after, "refused") == webhooks(middle, "refused") + 1
    assert webhooks(after, "handled") == webhooks(middle, "handled")
    # The webhook asked Stripe about the session once: timed, and no error.
    retrieve = {"operation": "retrieve_checkout_session"}
    assert sample(middle, "shop_stripe_call_seconds_count", **retrieve) == (
        sample(before, "shop_stripe_call_seconds_count", **retrieve) + 1
    )
    assert sample(after, "shop_orders", status="paid") >= 1


async def test_a_live_stream_is_counted_and_open_but_never_timed(live_server: LiveServer) -> None:
    route = {"method": "GET", "path": "/orders/live"}
    async with httpx.AsyncClient(base_url=live_server.url, timeout=10) as http:
        # An order in flight: the buyer's stream stays open until it settles.
        await Shopper(http, sandbox=None).start_checkout({"mug-350": "1"})  # type: ignore[arg-type]
        before = await scrape(http)
        async with stream(http, "/orders/live"):
            during = await scrape(http)

        async def counted() -> bool:
            # The stream's end is counted once the server sees the client gone.
            return sample(await scrape(http), "shop_live_streams_open") == open_before

        open_before = sample(before, "shop_live_streams_open")
        await eventually(counted, within=10)
        after = await scrape(http)
    assert sample(during, "shop_live_streams_open") == open_before + 1
    assert sample(after, "shop_requests_total", **route) == (
        sample(before, "shop_requests_total", **route) + 1
    )
    assert "shop_request_duration_seconds_count{" in after
    assert 'path="/orders/live"' not in "".join(
        line for line in after.splitlines(True) if line.startswith("shop_request_duration")
    )


async def test_metrics_are_404_to_a_client_outside_metrics_allow(
    store_app: Litestar, settings: Settings
) -> None:
    inside = ipaddress.ip_network("10.0.0.0/8")
    narrowed = create_app(dataclasses.replace(settings, metrics_allow=(inside,)))
    async with browser_like(narrowed, settings.public_url) as http:  # from 127.0.0.1
        refused = await http.get("/metrics")
        assert refused.status_code == 404 and "shop_" not in refused.text
    async with browser_like(narrowed, settings.public_url, client=("10.1.2.3", 40000)) as http:
        assert "shop_orders" in await scrape(http)

    # Behind a trusted proxy, the client is who the proxy says, not the proxy's loopback.
    proxied = create_app(
        dataclasses.replace(settings, trusted_proxies=(ipaddress.ip_network("127.0.0.1/32"),))
    )
    async with browser_like(proxied, settings.public_url) as http:
        assert (await http.get("/metrics")).status_code == 200
        outsider = await http.get("/metrics", headers={"x-forwarded-for": "203.0.113.9"})
        assert outsider.status_code == 404


async def test_two_workers_counts_add_up(test_env: dict[str, str]) -> None:
    shared = tempfile.mkdtemp(prefix="shop-metrics-")
    servers = []
    for _ in range(2):
        port = free_port()
        env = {**test_env, "PROMETHEUS_MULTIPROC_DIR": shared, "PORT": str(port),
               "PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
        servers.append(LiveServer(env))
    try:
        for server in servers:
            await asyncio.to_thread(server.start)
        first, second = (httpx.AsyncClient(base_url=s.url, timeout=10) for s in servers)
        async with first, second:
            for http, times in ((first, 3), (second, 2)):
                for _ in range(times):
                    assert (await http.get("/")).status_code == 200
            # Whichever worker answers the scrape, it reports both workers' requests.
            for http in (first, second):
                assert sample(await scrape(http), "shop_requests_total", **SHOP_PAGE) == 5
    finally:
        for server in servers:
            server.stop()
