"""The request metrics middleware alone: a failure counted as an error, a success never."""

from __future__ import annotations

import httpx
from litestar import Litestar, get
from prometheus_client import REGISTRY

from app.metrics.wiring import request_metrics


def value(name: str, path: str, status: str) -> float | None:
    labels = {"method": "GET", "path": path, "status_code": status, "app_name": "shop"}
    return REGISTRY.get_sample_value(name, labels)


@get("/metered/fine")
async def fine() -> str:
    return "fine"


@get("/metered/broken")
async def broken() -> str:
    raise RuntimeError("broken")


async def test_a_failed_request_is_an_error_of_its_route_and_a_good_one_is_not() -> None:
    app = Litestar([fine, broken], middleware=[request_metrics()])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://shop.test") as http:
        for _ in range(2):
            assert (await http.get("/metered/broken")).status_code == 500
        assert (await http.get("/metered/fine")).status_code == 200
        assert (await http.get("/metered/fine")).status_code == 200

    route = "/metered/broken"
    assert value("shop_requests_error_total", route, "500") == 2
    assert value("shop_requests_total", route, "500") == 2
    assert value("shop_request_duration_seconds_count", route, "500") == 2
    assert value("shop_requests_total", "/metered/fine", "200") == 2
    assert value("shop_request_duration_seconds_count", "/metered/fine", "200") == 2
    # As Litestar's own middleware: no error series at all for a route that never failed.
    assert value("shop_requests_error_total", "/metered/fine", "200") is None
    assert value("shop_requests_in_progress", "/metered/fine", "200") == 0
