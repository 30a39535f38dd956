"""Hostile API requests from a seed: deep, huge, unbalanced, repeated, escaped, undecodable."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx

_SESSION = [
    ("success_url", "https://shop.example/ok"),
    ("line_items[0][quantity]", "1"),
    ("line_items[0][price_data][currency]", "usd"),
    ("line_items[0][price_data][unit_amount]", "100"),
    ("line_items[0][price_data][product_data][name]", "Mug"),
    ("shipping_address_collection[allowed_countries][0]", "US"),
    ("shipping_options[0][shipping_rate_data][display_name]", "Standard"),
    ("shipping_options[0][shipping_rate_data][fixed_amount][amount]", "490"),
    ("shipping_options[0][shipping_rate_data][fixed_amount][currency]", "usd"),
    ("shipping_options[0][shipping_rate_data][delivery_estimate][maximum][unit]", "day"),
    ("shipping_options[0][shipping_rate_data][delivery_estimate][maximum][value]", "5"),
]
_NAMES = [name for name, _ in _SESSION] + [
    "metadata[order]",
    "customer_email",
    "client_reference_id",
    "expires_at",
    "expand[]",
    "payment_intent_data[metadata][k]",
    "line_items[0][price_data][product_data][metadata][k]",
    "shipping_options[0][shipping_rate]",
    "shipping_options[1][shipping_rate_data][metadata][k]",
]
_PATHS = [
    "/v1/checkout/sessions",
    "/v1/refunds",
    "/v1/checkout/sessions/cs_test_x/expire",
]
_GETS = ["/v1/checkout/sessions", "/v1/events", "/v1/checkout/sessions/{id}", "/v1/events/{id}"]
_JUNK = ["", "%00", "%ff", "%", "%zz", "%2", "\x00", "[", "]", "][", "[[", "]]", "&", "=", "é", "²"]
_INTEGERS = ["0", "-1", "99999999", "9223372036854775807", "-9223372036854775808", "1e3", "٣"]


@dataclass(frozen=True, slots=True)
class Attempt:
    method: str
    path: str
    body: bytes

    def __repr__(self) -> str:
        return f"{self.method} {self.path[:80]} {self.body[:120]!r}… ({len(self.body)} bytes)"


def hostile_requests(*, seed: int, count: int) -> Iterator[Attempt]:
    rng = random.Random(seed)
    makers: list[Callable[[random.Random], str | bytes]] = [
        _deep,
        _huge_key,
        _brackets,
        _repeated,
        _escapes,
        _raw_bytes,
        _many,
        _mutated_session,
    ]
    for _ in range(count):
        if rng.random() < 0.15:
            path = rng.choice(_GETS).replace("{id}", _url(_word(rng) + rng.choice(_JUNK)))
            # Whatever a URL can carry (percent-encoded), within the request line servers take.
            query = _url(_text(rng.choice(makers)(rng))[:8000])
            yield Attempt("GET", f"{path}?{query}", b"")
        else:
            body = rng.choice(makers)(rng)
            yield Attempt(
                "POST", rng.choice(_PATHS), body.encode() if isinstance(body, str) else body
            )


def _url(text: str) -> str:
    return quote(text, safe="=&[]%")


def _text(body: str | bytes) -> str:
    return body if isinstance(body, str) else body.decode("latin-1")


def _word(rng: random.Random) -> str:
    return "".join(rng.choice("abcXYZ019_") for _ in range(rng.randint(1, 12)))


def _deep(rng: random.Random) -> str:
    return rng.choice(_NAMES) + "[a]" * rng.randint(1, 30_000) + "=x"


def _huge_key(rng: random.Random) -> str:
    return f"metadata[{'k' * rng.randint(30, 200_000)}]=v"


def _brackets(rng: random.Random) -> str:
    return "&".join(
        rng.choice(_NAMES)[: rng.randint(0, 20)]
        + "".join(rng.choice("[]a0") for _ in range(rng.randint(0, 40)))
        + "="
        + _word(rng)
        for _ in range(rng.randint(1, 10))
    )


def _repeated(rng: random.Random) -> str:
    name = rng.choice(_NAMES)
    shapes = [f"{name}=x", f"{name}[k]=y", f"{name}[]=z", f"{name}[0]=w", f"{name}="]
    return "&".join(rng.choice(shapes) for _ in range(rng.randint(2, 500)))


def _escapes(rng: random.Random) -> str:
    pairs = list(_SESSION)
    for _ in range(rng.randint(1, 6)):
        name = rng.choice(_NAMES)
        pairs.append((name + rng.choice(_JUNK), rng.choice(_JUNK) + _word(rng) + rng.choice(_JUNK)))
    return "&".join(f"{name}={value}" for name, value in pairs)


def _raw_bytes(rng: random.Random) -> bytes:
    noise = bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
    return b"&".join([b"metadata[k]=" + noise, noise + b"=1", b"success_url=" + noise])


def _many(rng: random.Random) -> str:
    return "&".join(f"metadata[k{i}]=v" for i in range(rng.randint(40, 6000)))


def _mutated_session(rng: random.Random) -> str:
    """A valid session with a few fields made hostile, so the body reaches the database."""
    pairs = dict(_SESSION)
    for _ in range(rng.randint(1, 4)):
        name = rng.choice(_NAMES)
        pairs[name] = rng.choice(
            [
                rng.choice(_INTEGERS),
                "x" * rng.choice([41, 201, 501, 513, 5000, 100_000]),
                _word(rng) + "%00" + _word(rng),
                _word(rng) + "@example.com" + "m" * rng.choice([0, 600]),
                rng.choice(_JUNK),
            ]
        )
    return "&".join(f"{name}={value}" for name, value in pairs.items())


async def send_all(
    url: str, api_key: str, attempts: Iterator[Attempt], *, concurrency: int = 4
) -> list[tuple[Attempt, int]]:
    """Each attempt's status; a timeout (the hang this hunts) raises and fails the caller."""
    gate = asyncio.Semaphore(concurrency)
    headers = {
        "Authorization": f"Bearer {api_key}",
        "Content-Type": "application/x-www-form-urlencoded",
    }
    async with httpx.AsyncClient(base_url=url, headers=headers, timeout=5) as http:

        async def send(attempt: Attempt) -> tuple[Attempt, int]:
            async with gate:
                response = await http.request(attempt.method, attempt.path, content=attempt.body)
                return attempt, response.status_code

        return await asyncio.gather(*(send(attempt) for attempt in attempts))
