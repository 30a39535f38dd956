"""/owner/orders.csv: the list's filter and search, formulas defused, flat memory, owner-only."""

from __future__ import annotations

import asyncio
import csv
import io
from pathlib import Path

import httpx

from app.audit.tables import AuditEntry
from app.orders.tables import Order, OrderStatus
from app.owner.accounts import add_owner
from tests.support.checkout import Shopper
from tests.support.database import stored_order
from tests.support.http import LiveServer
from tests.support.owner import OWNER_NAME, OWNER_PASSWORD, OwnerBrowser, paid_order

BULK = 100_000


def table(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def bulk_orders(count: int) -> None:
    """`count` orders in one statement (a recursive CTE runs on both engines)."""
    await Order.raw(
        """
        INSERT INTO shop_order (visitor_id, checkout_token, status, currency, subtotal_cents,
                                shipping_cents, total_cents, refunded_cents, created_at,
                                updated_at, buyer_email, ship_name, ship_city, ship_country)
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {})
        SELECT 'bulk', 'bulk-' || n, CASE n % 2 WHEN 0 THEN 'paid' ELSE 'expired' END,
               'usd', 1800, 490, 2290, 0, CURRENT_TIMESTAMP, CURRENT_TIMESTAMP,
               'buyer' || n || '@example.com', 'Buyer number ' || n, 'Portland', 'US'
          FROM seq
        """,
        count,
    )


async def test_one_row_per_order_with_its_items_and_formula_cells_defused(
    owner: OwnerBrowser, shopper: Shopper
) -> None:
    order_id = await paid_order(shopper, {"mug-350": "2", "beans-250": "1"})
    await Order.update(
        {
            Order.buyer_email: '=HYPERLINK("http://evil")@example.com',
            Order.ship_name: "+SUM(A1)",
            Order.carrier: "@cmd",
            Order.tracking_number: "-2+3",
        }
    ).where(Order.id == order_id)
    answer = await owner.http.get("/owner/orders.csv")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert answer.headers["cache-control"] == "no-store"
    assert 'filename="orders.csv"' in answer.headers["content-disposition"]
    [row] = table(answer.text)
    assert row["number"] == str(order_id)
    assert (row["status"], row["fulfilment"]) == ("paid", "unfulfilled")
    assert row["items"] == "1 x beans-250; 2 x mug-350" or row["items"] == (
        "2 x mug-350; 1 x beans-250"
    )
    assert (row["shipping"], row["total"], row["refunded"], row["currency"]) == (
        "0.00",
        "50.50",
        "0.00",
        "USD",
    )
    assert row["email"] == '\'=HYPERLINK("http://evil")@example.com'
    assert row["ship_to"].startswith("'+SUM(A1)")
    assert (row["carrier"], row["tracking"]) == ("'@cmd", "'-2+3")
    exported = await AuditEntry.select().where(AuditEntry.action == "exported")
    assert [entry["actor"] for entry in exported] == [OWNER_NAME]


async def test_the_export_honours_the_status_filter_and_the_search(owner: OwnerBrowser) -> None:
    mug = [("mug-350", "Stoneware mug", 1800, 1)]
    paid = await stored_order("csv-1", mug, status=OrderStatus.PAID, buyer_email="a@example.com")
    await stored_order("csv-2", mug, status=OrderStatus.EXPIRED, buyer_email="b@example.com")
    third = await stored_order("csv-3", mug, status=OrderStatus.PAID, buyer_email="B@example.com")

    every = table((await owner.http.get("/owner/orders.csv")).text)
    assert len(every) == 3
    paid_only = table((await owner.http.get("/owner/orders.csv?status=paid")).text)
    assert [int(r["number"]) for r in paid_only] == [third, paid]  # newest first, as the list
    found = table((await owner.http.get("/owner/orders.csv?status=paid&q=b@EXAMPLE.com")).text)
    assert [int(r["number"]) for r in found] == [third]
    nothing = await owner.http.get("/owner/orders.csv?q=not-a-search")
    assert table(nothing.text) == []
    assert (await owner.http.get("/owner/orders.csv?status=bogus")).status_code == 400


async def test_a_buyer_cookie_gets_no_csv(shopper: Shopper) -> None:
    await paid_order(shopper)
    answer = await shopper.http.get("/owner/orders.csv", follow_redirects=False)
    assert answer.status_code in (302, 303)
    assert "text/csv" not in answer.headers.get("content-type", "")
    assert "@" not in answer.text and "mug-350" not in answer.text
    assert await AuditEntry.count().where(AuditEntry.action == "exported") == 0


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_a_hundred_thousand_orders_stream_in_flat_memory(live_server: LiveServer) -> None:
    await add_owner(OWNER_NAME, OWNER_PASSWORD)
    await bulk_orders(BULK)
    async with httpx.AsyncClient(base_url=live_server.url, timeout=300) as http:
        browser = OwnerBrowser(http)
        assert (await browser.sign_in()).status_code == 303
        small = await http.get("/owner/orders.csv?q=1")  # warm: imports, pool, templates
        assert small.status_code == 200
        before = rss_bytes(live_server.pid)
        peak, rows, size = before, 0, 0
        async with http.stream("GET", "/owner/orders.csv") as answer:
            assert answer.status_code == 200
            async for chunk in answer.aiter_text():
                rows += chunk.count("\n")
                size += len(chunk)
                peak = max(peak, rss_bytes(live_server.pid))
                await asyncio.sleep(0)
    assert rows == BULK + 1  # the header and every order
    # The whole file is tens of megabytes; the server holds one page of it at a time.
    assert size > 8_000_000
    growth = peak - before
    print(f"orders.csv: {BULK} orders, {size / 1e6:.1f} MB, server RSS +{growth / 1e6:.1f} MB")
    assert growth < 15_000_000, f"the server grew {growth / 1e6:.1f} MB while exporting"
