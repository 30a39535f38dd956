"""Visitors with one pending order each, its Checkout Session paid at the sandbox, unannounced."""

from __future__ import annotations

import asyncio
import json
import re
import time
from dataclasses import dataclass

import asyncpg
import httpx

from bench import data, load

_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')
_ACTION = re.compile(r'<form class="card-form" method="post" action="([^"]+)"')
_COUNTRY = re.compile(
    r'<select id="shippingCountry" name="shippingCountry"[^>]*>.*?<option value="([A-Z]{2})"', re.S
)
ADDRESS = {"shippingName": "Ada Lovelace", "shippingAddressLine1": "12 Analytical Row",
           "shippingLocality": "London", "shippingPostalCode": "NW1 6XE"}  # fmt: skip
CARD = {"email": "ada@example.com", "cardNumber": "4242424242424242",
        "cardExpiry": f"12 / {(time.gmtime().tm_year + 3) % 100:02d}", "cardCvc": "123",
        "billingName": "Ada Lovelace"}  # fmt: skip


@dataclass(frozen=True)
class Buyer:
    visitor_id: str
    cookie: str
    order_id: int
    session_id: str


async def pending_paid(
    store_port: int, sandbox: str, session: data.Session, secret_key: str, url: str, count: int
) -> list[Buyer]:
    """`count` buyers, made as real ones are: Buy at the store, then Pay on the hosted page.

    The sandbox is told of no webhook URL, so the store hears of the payment only when the
    bench delivers the session's checkout.session.completed event: until then it is pending.
    """
    buys = data.live_buys(session, secret_key, count)
    await _checkouts(store_port, [(h, b) for _, h, b in buys])
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            "SELECT id, visitor_id, stripe_session_id FROM shop_order"
            " WHERE visitor_id = ANY($1) AND status = 'pending' AND stripe_session_id IS NOT NULL",
            [visitor_id for visitor_id, _, _ in buys],
        )
    finally:
        await connection.close()
    if len(rows) != count:
        raise RuntimeError(f"{count} Buys left {len(rows)} pending orders with a session")
    cookies = {visitor_id: headers["Cookie"] for visitor_id, headers, _ in buys}
    buyers = [Buyer(r["visitor_id"], cookies[r["visitor_id"]], r["id"], r["stripe_session_id"])
              for r in rows]  # fmt: skip
    await _pay(sandbox, [buyer.session_id for buyer in buyers])
    return buyers


async def _checkouts(port: int, buys: list[load.Request], connections: int = 100) -> None:
    """POST /checkout for each buy over `connections` keep-alive connections."""
    todo = iter([load.raw_request("POST", "/checkout", port, h, b) for h, b in buys])
    failures: list[bytes] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            for raw in todo:
                answer = await load.fetch(reader, writer, raw)
                if int(answer.split(b" ", 2)[1]) >= 400:
                    failures.append(answer)
        finally:
            writer.close()

    async with asyncio.timeout(120):
        await asyncio.gather(*(connection() for _ in range(connections)))
    if failures:
        raise RuntimeError(f"{len(failures)} Buys failed; the first:\n{failures[0][:2000]!r}")


async def _pay(sandbox: str, session_ids: list[str], concurrency: int = 16) -> None:
    """The hosted page, as a buyer fills it in: test card 4242, an address if it asks for one."""
    gate = asyncio.Semaphore(concurrency)
    async with httpx.AsyncClient(base_url=sandbox, timeout=30) as client:

        async def pay(session_id: str) -> None:
            async with gate:
                page = await client.get(f"/pay/{session_id}")
                token, action = _CSRF.search(page.text), _ACTION.search(page.text)
                if page.status_code != 200 or not token or not action:
                    raise RuntimeError(f"no card form for {session_id}: {page.status_code}")
                country = _COUNTRY.search(page.text)
                form = {"_csrf_token": token.group(1), **CARD}
                if country:
                    form |= {**ADDRESS, "shippingCountry": country.group(1)}
                paid = await client.post(action.group(1), data=form)
                if paid.status_code != 303:
                    raise RuntimeError(f"paying {session_id}: {paid.status_code} {paid.text[:500]}")

        # One page first, so the CSRF cookie is set once and every later form carries its token.
        await pay(session_ids[0])
        try:
            async with asyncio.timeout(300), asyncio.TaskGroup() as group:
                for session_id in session_ids[1:]:
                    group.create_task(pay(session_id))
        except BaseExceptionGroup as failed:
            raise failed.exceptions[0] from None  # the first says it all; the rest were cancelled


async def completed_events(sandbox: str, api_key: str) -> dict[str, str]:
    """The sandbox's checkout.session.completed events (only the bench pays), by session id."""
    found: dict[str, str] = {}
    params: dict[str, str | int] = {"type": "checkout.session.completed", "limit": 100}
    headers = {"Authorization": f"Bearer {api_key}"}
    async with httpx.AsyncClient(base_url=sandbox, headers=headers, timeout=30) as client:
        while True:
            page = (await client.get("/v1/events", params=params)).raise_for_status().json()
            for event in page["data"]:
                found[event["data"]["object"]["id"]] = json.dumps(event, separators=(",", ":"))
            if not page["has_more"] or not page["data"]:
                return found
            params["starting_after"] = page["data"][-1]["id"]
