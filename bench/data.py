"""The benchmark's data: a throwaway database, a visitor's 20 paid orders among thousands more."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import itertools
import json
import random
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from urllib.parse import urlencode, urlsplit, urlunsplit

import asyncpg
import httpx

from app.catalog.service import CATALOG
from app.orders.tokens import CheckoutTokens
from app.visitor import COOKIE_NAME, mint_visitor_id, sign
from bench.procs import ROOT

_rng = random.Random(6)  # the same data every run


async def create_database(admin_url: str) -> tuple[str, str]:
    name = f"bench_shop_{secrets.token_hex(4)}"
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'CREATE DATABASE "{name}"')
    finally:
        await connection.close()
    return name, urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))


async def drop_database(admin_url: str, name: str) -> None:
    connection = await asyncpg.connect(admin_url)
    try:
        await connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await connection.close()


def migrate(env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"]
    subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True)


async def seed_orders(url: str, visitor_id: str, others: int) -> int:
    """The visitor's 20 paid orders of 1-3 lines among `others` orders of 300 other visitors."""
    now = datetime.now(UTC)
    crowd = [mint_visitor_id() for _ in range(300)]
    owners = [visitor_id] * 20 + [_rng.choice(crowd) for _ in range(others)]
    _rng.shuffle(owners)
    orders, lines = [], []
    for index, owner in enumerate(owners):
        picked = _rng.sample(CATALOG, _rng.randint(1, 3))
        quantities = [_rng.randint(1, 4) for _ in picked]
        paid = owner == visitor_id or _rng.random() < 0.8
        created = now - timedelta(minutes=len(owners) - index)
        orders.append(
            (
                owner,
                secrets.token_urlsafe(16),  # any unique string: these are never resubmitted
                "paid" if paid else _rng.choice(["canceled", "expired", "failed"]),
                sum(p.price_cents * q for p, q in zip(picked, quantities, strict=True)),
                f"pi_bench_{index}" if paid else None,
                created,
            )
        )
        lines.append(
            [(p.sku, p.name, p.price_cents, q) for p, q in zip(picked, quantities, strict=True)]
        )
    connection = await asyncpg.connect(url)
    try:
        # A paid order has the email Stripe collected: its refunds write one to the outbox. Every
        # order has its link token, as Buy gives one (only orders older than links lack it).
        ids = await connection.fetch(
            """INSERT INTO shop_order (visitor_id, checkout_token, status, currency, total_cents,
                   payment_intent_id, refunded_cents, created_at, updated_at, paid_at,
                   paid_cents, paid_currency, buyer_email, link_token)
               SELECT v, t, s, 'usd', c, p, 0, d, d, d,
                      CASE WHEN p IS NULL THEN NULL ELSE c END,
                      CASE WHEN p IS NULL THEN NULL ELSE 'usd' END,
                      CASE WHEN p IS NULL THEN NULL ELSE 'buyer-' || p || '@bench.test' END, k
                 FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::text[],
                             $6::timestamptz[], $7::text[]) AS x(v, t, s, c, p, d, k)
               RETURNING id""",
            *map(list, zip(*orders, strict=True)),
            [secrets.token_urlsafe(24) for _ in orders],
        )
        rows = [
            (r["id"], *line)
            for r, order_lines in zip(ids, lines, strict=True)
            for line in order_lines
        ]
        await connection.copy_records_to_table(
            "shop_order_line",
            records=rows,
            columns=["order", "sku", "name", "unit_price_cents", "quantity"],
        )
        await connection.execute("ANALYZE")
    finally:
        await connection.close()
    return len(ids)


def visitor_cookie(secret_key: str, visitor_id: str) -> str:
    key = hashlib.sha256(b"visitor-cookie:" + secret_key.encode()).digest()
    return f"{COOKIE_NAME}={sign(visitor_id, key)}"


@dataclass(frozen=True)
class Session:
    """A browser that opened the shop: its cookies and the form's CSRF token."""

    cookie: str
    csrf: str

    def headers(self, *, htmx: bool, cookie: str | None = None) -> dict[str, str]:
        headers = {"Cookie": cookie or self.cookie, "X-CSRFToken": self.csrf}
        if htmx:
            headers |= {"HX-Request": "true", "HX-Request-Type": "partial"}
        return headers

    def as_visitor(self, visitor_cookie: str) -> Session:
        """The same browser's CSRF cookie with another visitor's cookie."""
        return replace(self, cookie=f"{visitor_cookie}; csrftoken={self.csrf}")


def open_shop(base_url: str, cookie: str) -> Session:
    response = httpx.get(base_url + "/", headers={"Cookie": cookie}, timeout=10)
    response.raise_for_status()
    csrf = response.cookies["csrftoken"]
    return Session(cookie=f"{cookie}; csrftoken={csrf}", csrf=csrf)


CART_FORM = {"qty-beans-250": "2", "qty-mug-350": "1", "qty-dripper-v60": "0", "op": "inc:mug-350"}


def checkout_requests(
    session: Session, secret_key: str, count: int
) -> list[tuple[dict[str, str], str]]:
    """Buys from `count` distinct visitors, each with its own form token."""
    tokens, out = CheckoutTokens(secret_key), []
    for _ in range(count):
        visitor_id = mint_visitor_id()
        cookie = f"{visitor_cookie(secret_key, visitor_id)}; csrftoken={session.csrf}"
        # What the store would have rendered for this visitor: it takes no other token.
        body = urlencode({**CART_FORM, "op": "", "checkout_token": tokens.mint(visitor_id)})
        out.append((session.headers(htmx=True, cookie=cookie), body))
    return out


async def paid_intents(url: str) -> list[str]:
    connection = await asyncpg.connect(url)
    try:
        rows = await connection.fetch(
            # The visitors' orders only: the owner's 100,000 (bench/owner.py) leave webhooks as
            # they were.
            "SELECT payment_intent_id FROM shop_order WHERE payment_intent_id LIKE 'pi_bench_%'"
            " ORDER BY id"
        )
    finally:
        await connection.close()
    return [row["payment_intent_id"] for row in rows]


def webhook_requests(
    secret: str, intents: list[str], label: str, count: int, lag: int = 200, refunded: int = 100
) -> list[tuple[dict[str, str], str]]:
    """Signed charge.refunded events; every second one repeats an event sent `lag` places before.

    Refunds only grow, so each batch passes a larger `refunded` to move its orders again.
    """
    events: list[str] = []
    out = []
    for index in range(count):
        if index % 2 and len(events) > lag:
            body = events[len(events) - lag]
        else:
            n = len(events)
            charge = {
                "id": f"ch_bench_{label}_{n}",
                "object": "charge",
                "payment_intent": intents[n % len(intents)],
                "amount_refunded": refunded + n // len(intents),
                "refunded": False,
            }
            event = {"id": f"evt_bench_{label}_{n}", "object": "event", "type": "charge.refunded",
                     "created": int(time.time()), "data": {"object": charge}}  # fmt: skip
            body = json.dumps(event, separators=(",", ":"))
            events.append(body)
        stamp = int(time.time())
        mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
        headers = {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}
        out.append((headers, body))
    return out


async def max_connections(url: str) -> int:
    return await count_rows(url, "SELECT current_setting('max_connections')::int")


async def count_rows(url: str, sql: str) -> int:
    connection = await asyncpg.connect(url)
    try:
        return int(await connection.fetchval(sql))
    finally:
        await connection.close()


async def outbox_drained(url: str, limit: float = 120.0) -> float:
    """Seconds until the store's senders have handled every email written so far."""
    start = time.perf_counter()
    due = "SELECT count(*) FROM shop_mail WHERE state IN ('queued', 'sending', 'retrying')"
    while await count_rows(url, due) and time.perf_counter() - start < limit:  # noqa: ASYNC110
        await asyncio.sleep(0.2)
    return time.perf_counter() - start


def live_buys(
    session: Session, secret_key: str, count: int
) -> list[tuple[str, dict[str, str], str]]:
    """checkout_requests with each buyer's visitor id: the live scenario opens their streams."""
    tokens, out = CheckoutTokens(secret_key), []
    for _ in range(count):
        visitor_id = mint_visitor_id()
        cookie = f"{visitor_cookie(secret_key, visitor_id)}; csrftoken={session.csrf}"
        body = urlencode({**CART_FORM, "op": "", "checkout_token": tokens.mint(visitor_id)})
        out.append((visitor_id, session.headers(htmx=True, cookie=cookie), body))
    return out


def signed_webhook(secret: str, body: str) -> dict[str, str]:
    """The headers Stripe sends with `body`: its signature over the timestamp and the body."""
    stamp = int(time.time())
    mac = hmac.new(secret.encode(), f"{stamp}.{body}".encode(), hashlib.sha256).hexdigest()
    return {"Stripe-Signature": f"t={stamp},v1={mac}", "Content-Type": "application/json"}


_refund_steps = itertools.count(1)


def refund_floor() -> int:
    """A `refunded` for webhook_requests above every earlier batch's, whichever scenario sent it.

    Refunds only grow: a batch below an earlier one would update no row and cost less.
    """
    return 1000 * next(_refund_steps)


async def seed_one_order(url: str, visitor_id: str) -> None:
    """One paid order of two lines: the common returning buyer."""
    connection = await asyncpg.connect(url)
    try:
        order_id = await connection.fetchval(
            """INSERT INTO shop_order (visitor_id, checkout_token, status, currency, total_cents,
                   payment_intent_id, refunded_cents, created_at, updated_at, paid_at, link_token)
               VALUES ($1, $2, 'paid', 'usd', 4700, 'pi_bench_one', 0, now(), now(), now(), $3)
               RETURNING id""",
            visitor_id,
            secrets.token_urlsafe(16),
            secrets.token_urlsafe(24),
        )
        await connection.executemany(
            """INSERT INTO shop_order_line ("order", sku, name, unit_price_cents, quantity)
               VALUES ($1, $2, $3, $4, $5)""",
            [(order_id, p.sku, p.name, p.price_cents, 1) for p in CATALOG[:2]],
        )
    finally:
        await connection.close()


class _Text(HTMLParser):
    """What a reader gets from a page: its text, and each control's label, value and state."""

    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag in ("script", "style", "title"):
            self._skip += 1
        if tag in ("input", "button") and found.get("type") != "hidden":
            self.words += [
                f"[{tag} {found.get('aria-label') or ''} {found.get('value') or ''}"
                f"{' disabled' if 'disabled' in found else ''}]"
            ]

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "title"):
            self._skip -= 1

    def handle_data(self, text: str) -> None:
        if not self._skip:
            self.words += text.split()


def visible(page: str) -> list[str]:
    parser = _Text()
    parser.feed(page)
    return " ".join(parser.words).split()


def first_difference(a: list[str], b: list[str]) -> str:
    pairs = enumerate(zip(a, b, strict=False))
    at = next((i for i, (x, y) in pairs if x != y), min(len(a), len(b)))
    return f"word {at}: {' '.join(a[at - 3 : at + 5])!r} vs {' '.join(b[at - 3 : at + 5])!r}"
