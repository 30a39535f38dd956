"""What a stranger with curl can send the API: refused in Stripe's shape, promptly, never a 5xx."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.stripe_sandbox.fuzz import hostile_requests, send_all
from tests.support.stripe_sandbox import API_KEY, SandboxServer

AUTH = {"Authorization": f"Bearer {API_KEY}"}
VALID = (
    "success_url=https://shop.example/ok&line_items[0][quantity]=1"
    "&line_items[0][price_data][currency]=usd&line_items[0][price_data][unit_amount]=100"
    "&line_items[0][price_data][product_data][name]=Mug"
)


async def _create(sandbox: SandboxServer, body: str | bytes) -> httpx.Response:
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=30) as http:
        headers = {**AUTH, "Content-Type": "application/x-www-form-urlencoded"}
        return await http.post("/v1/checkout/sessions", content=body, headers=headers)


async def test_a_21000_level_key_is_refused_at_once(sandbox: SandboxServer) -> None:
    started = time.monotonic()
    response = await _create(sandbox, "metadata" + "[a]" * 21_000 + "=x")
    elapsed = time.monotonic() - started

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error["param"] == "metadata"
    assert "nested" in error["message"]
    # A hang detector, not a benchmark (timings belong in bench/): the quadratic parser took
    # about 17 s on this body, the linear one well under a second; two shared cores get slack.
    assert elapsed < 8, f"{elapsed:.1f} s"


@pytest.mark.parametrize(
    ("extra", "param", "message"),
    [
        (
            "".join(f"&metadata[k{i}]=v" for i in range(51)),
            "metadata",
            "Invalid metadata: metadata can have up to 50 keys.",
        ),
        (
            "&metadata[" + "k" * 41 + "]=v",
            "metadata[" + "k" * 40 + "]",
            "Metadata keys can be at most 40 characters.",
        ),
        (
            "&metadata[order]=" + "v" * 501,
            "metadata[order]",
            "Metadata values can be at most 500 characters.",
        ),
        (
            "&line_items[0][price_data][product_data][metadata][order]=" + "v" * 501,
            "line_items[0][price_data][product_data][metadata][order]",
            "Metadata values can be at most 500 characters.",
        ),
        ("&metadata[" + "k" * 5000 + "]=v", "metadata", "must be at most 500 characters"),
        ("&metadata[order]=a%00b", "metadata[order]", "NUL"),
        ("&customer_email=" + "a" * 600 + "@example.com", "customer_email", "email"),
        ("&customer_email=ada%00@example.com", "customer_email", "NUL"),
        ("&expires_at=9223372036854775807", "expires_at", "24 hours"),
        ("&line_items[%C2%B2][quantity]=1", "line_items", "array"),
        ("&metadata[a]]=x", "metadata[a]]", "Invalid parameter name"),
        ("&x=1" * 3000, None, "Too many parameters"),
    ],
)
async def test_stripes_limits_are_400s_that_name_the_param(
    sandbox: SandboxServer, extra: str, param: str | None, message: str
) -> None:
    response = await _create(sandbox, VALID + extra)

    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["type"] == "invalid_request_error"
    assert error.get("param") == param
    assert message in error["message"]


async def test_invalid_utf8_in_an_escape_is_a_400(sandbox: SandboxServer) -> None:
    response = await _create(sandbox, VALID + "&metadata[order]=%ff%fe")
    assert response.status_code == 400
    assert "UTF-8" in response.json()["error"]["message"]


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/v1/checkout/sessions/cs_test_%00", 404),
        ("/v1/checkout/sessions/cs_test_%00/line_items", 404),
        ("/v1/checkout/sessions/cs_test_%00/expire", 404),
        ("/v1/events/evt_%00", 404),
        ("/v1/events/evt_" + "x" * 10_000, 404),
        ("/v1/events?starting_after=evt_%00", 400),
        # Any int64 is a valid `created`, even one past what a datetime holds: none match.
        ("/v1/events?created[gt]=9223372036854775807", 200),
        ("/v1/events?created[lt]=-9223372036854775807", 200),
    ],
)
async def test_hostile_paths_and_queries_get_stripes_answers(
    sandbox: SandboxServer, path: str, status: int
) -> None:
    method = "POST" if path.endswith("/expire") else "GET"
    async with httpx.AsyncClient(base_url=sandbox.url, timeout=10) as http:
        response = await http.request(method, path, headers=AUTH)
    assert response.status_code == status, response.text
    if status == 200:
        assert response.json()["data"] == []
    else:
        assert response.json()["error"]["type"] == "invalid_request_error"


async def test_a_thousand_hostile_requests_get_no_5xx(sandbox: SandboxServer) -> None:
    started = time.monotonic()
    answers = await send_all(sandbox.url, API_KEY, hostile_requests(seed=20_261_126, count=1000))
    elapsed = time.monotonic() - started

    failures = [(request, status) for request, status in answers if status >= 500]
    assert not failures, failures[:5]
    # Hang detectors, not benchmarks: each request has a 5 s timeout, and the whole run (about
    # a few seconds here) must not creep toward the minutes that a slow path would add up to.
    assert elapsed < 60, f"{elapsed:.0f} s"
