"""The owner's order list over 100,000 orders: seeded by SQL, an owner signed in, four pages."""

from __future__ import annotations

import asyncio
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

import asyncpg
import httpx

from app.catalog.service import CATALOG
from bench.data import Session
from bench.load import Request, Run
from bench.procs import ROOT, Server
from bench.report import Results

NAME, PASSWORD = "bench-owner", "bench owner password, long enough"
CUSTOMERS = 20_000  # repeat buyers: about 4 orders each with an email
DEEP = 90_000  # rows down for the deep page
BASELINE = "GET / (beside the owner's pages)"
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')

# One statement: order g of $1 is placed 5 minutes after order g-1, its status drawn from a fixed
# mix (7919*g mod 1000 runs through 0..999 once per 1000 orders), its 1-3 lines in the same CTE.
SEED = """
WITH spec AS MATERIALIZED (
    SELECT g, CASE WHEN r < 700 THEN 'paid' WHEN r < 730 THEN 'refunded'
               WHEN r < 750 THEN 'partially_refunded' WHEN r < 760 THEN 'needs_review'
               WHEN r < 800 THEN 'failed' WHEN r < 860 THEN 'canceled'
               WHEN r < 990 THEN 'expired' WHEN r < 995 THEN 'processing' ELSE 'pending'
           END AS status,
           (g * 104729) % $6 AS buyer,
           $2::timestamptz - ($1 - g) * interval '5 minutes' AS at,
           (SELECT sum(($5::int[])[1 + (g * 31 + k) % cardinality($3::text[])]
                       * (1 + (g + k) % 4))
              FROM generate_series(1, 1 + (g * 13) % 3) AS k)::bigint AS total
      FROM generate_series(1::bigint, $1::bigint) AS g,
           LATERAL (SELECT (g * 7919) % 1000 AS r) AS mix
), charged AS (
    SELECT *, status NOT IN ('canceled', 'expired', 'pending') AS reached_stripe,
           status IN ('paid', 'refunded', 'partially_refunded', 'needs_review') AS took_money
      FROM spec
), placed AS (
    INSERT INTO shop_order (visitor_id, checkout_token, status, currency, total_cents,
        stripe_session_id, payment_intent_id, refunded_cents, created_at, updated_at, paid_at,
        livemode, paid_cents, paid_currency, buyer_email, review_reason)
    SELECT 'owner-bench-' || buyer, 'owner-' || g, status, 'usd', total, 'cs_owner_' || g,
           CASE WHEN reached_stripe THEN 'pi_owner_' || g END,
           CASE status WHEN 'refunded' THEN total WHEN 'partially_refunded' THEN total / 2
                ELSE 0 END,
           at, at + interval '2 minutes', CASE WHEN took_money THEN at + interval '1 minute' END,
           CASE WHEN took_money THEN false END, CASE WHEN took_money THEN total END,
           CASE WHEN took_money THEN 'usd' END,
           CASE WHEN reached_stripe THEN 'buyer' || buyer || '@example.com' END,
           CASE WHEN status = 'needs_review' THEN 'Stripe charged a different amount' END
      FROM charged ORDER BY g
    RETURNING id, checkout_token
)
INSERT INTO shop_order_line ("order", sku, name, unit_price_cents, quantity)
SELECT id, ($3::text[])[i], ($4::text[])[i], ($5::int[])[i], 1 + (g + k) % 4
  FROM placed, LATERAL (SELECT substr(checkout_token, 7)::bigint AS g) AS n,
       LATERAL generate_series(1, 1 + (g * 13) % 3) AS k,
       LATERAL (SELECT 1 + (g * 31 + k) % cardinality($3::text[]) AS i) AS p
"""


async def seed(url: str, count: int, newest: datetime) -> str:
    """`count` orders, the newest placed at `newest`; says what it seeded and how long it took."""
    # JIT would spend most of a second compiling a statement that runs once.
    connection = await asyncpg.connect(url, server_settings={"jit": "off"})
    try:
        start = time.perf_counter()
        products = [[p.sku for p in CATALOG], [p.name for p in CATALOG]]
        await connection.execute(
            SEED, count, newest, *products, [p.price_cents for p in CATALOG], CUSTOMERS
        )
        inserted = time.perf_counter() - start
        await connection.execute("VACUUM (ANALYZE) shop_order, shop_order_line")
        total = time.perf_counter() - start
        lines = await connection.fetchval(
            'SELECT count(*) FROM shop_order_line AS l JOIN shop_order AS o ON o.id = l."order"'
            " WHERE o.checkout_token LIKE 'owner-%'"
        )
    finally:
        await connection.close()
    return (
        f"{count:,} orders and {lines:,} lines in {inserted:.1f} s (one INSERT … generate_series),"
        f" {total:.1f} s with VACUUM (ANALYZE)"
    )


@dataclass(frozen=True)
class OwnerPages:
    cookie: str  # what a signed-in owner's browser sends to /owner
    shapes: list[tuple[str, str]]  # (row label, path)
    seen: str  # rows each shape answered with before the runs


_prepared: dict[int, OwnerPages] = {}


def prepare(store: Server, url: str) -> OwnerPages:
    """Once per run: add the owner by the CLI, sign in, and check every shape answers rows."""
    if store.port not in _prepared:
        _prepared[store.port] = _prepare(store, url)
    return _prepared[store.port]


def _prepare(store: Server, url: str) -> OwnerPages:
    command = [sys.executable, "-m", "litestar", "--app", "app.main:create_app", "owner", "add",
               NAME]  # fmt: skip
    subprocess.run(command, cwd=ROOT, env=store.env, input=PASSWORD + "\n", text=True,
                   check=True, capture_output=True)  # fmt: skip
    with httpx.Client(base_url=store.url, timeout=10) as client:
        form = client.get("/owner/login")
        match = _CSRF.search(form.text)
        assert match, "the sign-in page has no CSRF field"
        fields = {"username": NAME, "password": PASSWORD, "_csrf_token": match.group(1)}
        signed_in = client.post("/owner/login", data=fields)
        assert signed_in.status_code == 303 and "owner" in client.cookies, signed_in.text
        cookie = "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar)
        deep, email = _picks(url)
        shapes = [
            ("GET /owner/orders (first page)", "/owner/orders"),
            ("GET /owner/orders?status=paid", "/owner/orders?status=paid"),
            (f"GET /owner/orders?before= ({DEEP:,} down)", f"/owner/orders?before={deep}"),
            ("GET /owner/orders?q=email", "/owner/orders?" + urlencode({"q": email})),
        ]
        seen = []
        for label, path in shapes:
            page = httpx.get(store.url + path, headers={"Cookie": cookie}, timeout=10)
            assert page.status_code == 200, (path, page.status_code)
            shape = label.removeprefix("GET /owner/orders").strip()
            rows = page.text.count("data-order-id=")
            seen.append(f"{shape}: {rows} rows, {len(page.content) / 1000:.1f} kB")
    return OwnerPages(cookie, shapes, f"{'; '.join(seen)} (deep: before={deep}, q={email})")


def _picks(url: str) -> tuple[int, str]:
    """The id DEEP rows down, and a buyer's email as someone might type it."""

    async def fetch() -> tuple[int, str]:
        connection = await asyncpg.connect(url)
        try:
            deep = await connection.fetchval(
                "SELECT id FROM shop_order ORDER BY id DESC OFFSET $1 LIMIT 1", DEEP
            )
            email = await connection.fetchval(
                "SELECT buyer_email FROM shop_order WHERE buyer_email IS NOT NULL"
                " ORDER BY id DESC OFFSET 1000 LIMIT 1"
            )
        finally:
            await connection.close()
        return int(deep), str(email).capitalize()  # any case finds it

    return asyncio.run(fetch())


def scenario(measure: Callable[..., Run], connections: int) -> Callable[..., None]:
    """GET /owner/orders in four shapes, each beside the store's own GET / of the same round."""

    def run(results: Results, targets: dict[str, Server], session: Session, url: str,
            round_: int) -> None:  # fmt: skip
        pages = prepare(targets["store"], url)
        if round_ == 0:
            results.note(BASELINE, f"one sign-in, its session on every connection; {pages.seen}")
        home: list[Request] = [(session.headers(htmx=False), "")]
        measure(results, BASELINE, "store", targets["store"], "GET", "/", lambda _s: home,
                connections)  # fmt: skip
        request: list[Request] = [({"Cookie": pages.cookie}, "")]
        for label, path in pages.shapes:
            # bench/reference.py has no owner pages: the honest baseline is the store's own GET /.
            results.baselines[label] = BASELINE
            measure(results, label, "store", targets["store"], "GET", path, lambda _s: request,
                    connections)  # fmt: skip

    return run
