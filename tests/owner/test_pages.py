"""What the owner reads: the dashboard, every order page by page, found by what the owner knows."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import pytest
from litestar import Litestar

from app.orders.reconcile import reconcile
from app.orders.tables import Order, OrderStatus
from app.owner.figures import sales_figures
from app.payments.gateway import PaymentGateway
from app.settings import Settings
from tests.support.database import stored_order
from tests.support.owner import OwnerBrowser, owner_browser

ROW = 'data-order-id="{}" data-status="{}"'


@pytest.fixture
async def signed_in(
    store_app: Litestar, settings: Settings, owner_account: int
) -> AsyncIterator[OwnerBrowser]:
    async with owner_browser(store_app, settings, signed_in=True) as owner:
        yield owner


async def place(status: OrderStatus, n: int, **values: Any) -> int:
    mugs = ("mug-350", "Stoneware mug", 1800, n % 3 + 1)
    return await stored_order(f"owner-pages-{n}", [mugs], status=status, **values)


async def many_orders(count: int) -> None:
    """`count` more orders in one statement (a recursive CTE runs on both engines)."""
    await Order.raw(
        """
        INSERT INTO shop_order (visitor_id, checkout_token, status, currency, subtotal_cents,
                                shipping_cents, total_cents, refunded_cents, created_at,
                                updated_at, buyer_email)
        WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < {})
        SELECT 'bulk', 'bulk-' || n,
               CASE n % 4 WHEN 0 THEN 'paid' WHEN 1 THEN 'pending' WHEN 2 THEN 'expired'
                          ELSE 'refunded' END,
               'usd', 1800, 490, 2290, 0, t.created_at, t.created_at,
               'buyer' || n || '@example.com'
          FROM seq, (SELECT created_at FROM shop_order ORDER BY id LIMIT 1) AS t
        """,
        count,
    )


def ids_in(html: str) -> list[int]:
    return [int(found) for found in re.findall(r'<tr id="[a-z-]+-\d+" data-order-id="(\d+)"', html)]


async def test_the_dashboard_counts_statuses_and_puts_the_review_queue_first(
    signed_in: OwnerBrowser, gateway: PaymentGateway
) -> None:
    paid = [await place(OrderStatus.PAID, n) for n in range(3)]
    flagged = await place(
        OrderStatus.NEEDS_REVIEW, 9, review_reason="Paid after the order was canceled."
    )
    await place(OrderStatus.PENDING, 10)
    await reconcile(gateway)

    board = (await signed_in.page("/owner/")).text
    assert 'data-status="paid" data-count="3"' in board
    assert 'data-status="needs_review" data-count="1"' in board
    assert 'data-status="pending" data-count="1"' in board
    assert 'data-status="refunded" data-count="0"' in board
    queue = board.split('id="review-queue"')[1].split("</section>")[0]
    assert ids_in(queue) == [flagged]
    assert board.index('id="review-queue"') < board.index('id="latest-title"')
    latest = board.split('id="latest-title"')[1]
    assert ids_in(latest)[:4] == [flagged + 1, flagged, *reversed(paid)][:4]
    assert "Last reconcile" in board and "checked 1 stale order(s) with Stripe" not in board
    assert "checked 0 stale order(s) with Stripe" in board


async def test_orders_are_listed_newest_first_fifty_a_page_without_repeats(
    signed_in: OwnerBrowser,
) -> None:
    placed = [
        await place(OrderStatus.PAID if n % 2 else OrderStatus.EXPIRED, n) for n in range(120)
    ]
    seen: list[int] = []
    path: str | None = "/owner/orders"
    while path:
        page = await signed_in.page(path)
        assert page.status_code == 200
        seen += ids_in(page.text)
        older = [part for part in page.text.split('href="') if part.startswith("/owner/orders?")]
        path = older[0].split('"')[0].replace("&amp;", "&") if older else None
    assert seen == sorted(placed, reverse=True)
    first = await signed_in.page("/owner/orders")
    assert len(ids_in(first.text)) == 50

    paid = await signed_in.page("/owner/orders?status=paid")
    assert ids_in(paid.text) == sorted(placed[1::2], reverse=True)[:50]
    assert all(ROW.format(i, "paid") in paid.text for i in ids_in(paid.text))
    # htmx swaps just the table.
    fragment = await signed_in.http.get(
        "/owner/orders?status=expired",
        headers={"HX-Request": "true", "HX-Target": "section#owner-orders"},
    )
    assert fragment.text.lstrip().startswith('<section id="owner-orders"')


@pytest.mark.parametrize("kind", ["id", "#id", "session", "payment_intent", "email", "EMAIL"])
async def test_search_finds_an_order_by_what_the_owner_knows(
    signed_in: OwnerBrowser, kind: str
) -> None:
    for n in range(5):
        await place(OrderStatus.PAID, n, buyer_email=f"b{n}@example.com")
    wanted = await place(
        OrderStatus.PAID,
        7,
        stripe_session_id="cs_test_wanted123",
        payment_intent_id="pi_wanted123",
        buyer_email="Ada.Lovelace@Example.com",
    )
    q = {
        "id": str(wanted),
        "#id": f"#{wanted}",
        "session": "cs_test_wanted123",
        "payment_intent": "pi_wanted123",
        "email": "Ada.Lovelace@Example.com",
        "EMAIL": "ADA.LOVELACE@EXAMPLE.COM",
    }[kind]
    page = await signed_in.http.get("/owner/orders", params={"q": q})
    assert ids_in(page.text) == [wanted]


@pytest.mark.parametrize(
    "q", ["' OR 1=1 --", "1; DROP TABLE shop_order", "<script>alert(1)</script>", "%", "x" * 200]
)
async def test_hostile_searches_find_nothing_and_are_shown_escaped(
    signed_in: OwnerBrowser, q: str
) -> None:
    await place(OrderStatus.PAID, 1)
    page = await signed_in.http.get("/owner/orders", params={"q": q})
    assert page.status_code == 200
    assert ids_in(page.text) == []
    assert "<script>alert(1)</script>" not in page.text
    assert await Order.count() == 1


@pytest.mark.parametrize(
    "query", ["status=bogus", "before=0", "before=-5", "before=abc", "q=" + "x" * 201]
)
async def test_bad_list_parameters_are_a_clear_400(signed_in: OwnerBrowser, query: str) -> None:
    page = await signed_in.page(f"/owner/orders?{query}")
    assert page.status_code == 400
    assert "could not be understood" in page.text


async def owner_page_queries(owner: OwnerBrowser, queries: list[str], path: str) -> int:
    queries.clear()
    page = await owner.page(path)
    assert page.status_code == 200
    return len(queries)


PAGES = [
    "/owner/",
    "/owner/orders",
    "/owner/orders?status=paid",
    "/owner/orders?q=buyer7@example.com",
]


async def test_owner_pages_cost_the_same_queries_for_ten_or_a_hundred_thousand_orders(
    signed_in: OwnerBrowser, queries: list[str], engine_name: str
) -> None:
    for n in range(10):
        await place(OrderStatus.PAID, n)
    detail = f"/owner/orders/{await place(OrderStatus.PAID, 11)}"
    few = [await owner_page_queries(signed_in, queries, path) for path in [*PAGES, detail]]
    await many_orders(100_000)
    deep = f"/owner/orders?before={await Order.count() // 10}"
    many = [await owner_page_queries(signed_in, queries, path) for path in [*PAGES, detail]]
    assert many == few
    assert await owner_page_queries(signed_in, queries, deep) == few[1]
    # The dashboard: the session, the counts (one query), the review queue, the orders to
    # ship, the latest, the last run, the sales figures (one query for all three periods) and
    # the products running low (issue 24).
    assert few[0] == 8

    if engine_name != "postgres":
        return
    await Order.raw("ANALYZE shop_order")
    paths = ["/owner/orders?status=paid", deep, "/owner/orders?q=buyer7@example.com", detail]
    for path in [*paths, "/owner/orders?status=needs_review"]:
        listing = await listing_sql(signed_in, queries, path)
        plan = await explain(f"EXPLAIN {listing}")
        assert "Index" in plan and "Seq Scan on shop_order" not in plan, plan
    # asyncpg prepares statements, and after a few runs PostgreSQL may plan them generically:
    # a rare status must still be found through its index, not by walking every other order.
    async with Order._meta.db.transaction():
        await Order.raw("SET LOCAL plan_cache_mode = force_generic_plan")
        await Order.raw(f"PREPARE owner_listing AS {listing}")
        plan = await explain("EXPLAIN EXECUTE owner_listing")
        await Order.raw("DEALLOCATE owner_listing")
    assert "Index Cond: ((status)" in plan and "shop_order_pkey" not in plan, plan


async def listing_sql(owner: OwnerBrowser, queries: list[str], path: str) -> str:
    """The statement that read the orders for `path` (not the session or the counts)."""
    queries.clear()
    await owner.page(path)
    return next(
        sql
        for sql in queries
        if sql.lstrip().upper().startswith("SELECT")
        and "shop_order" in sql
        and "owner_session" not in sql
        and "GROUP BY" not in sql
    )


async def explain(statement: str) -> str:
    return "\n".join(row["QUERY PLAN"] for row in await Order.raw(statement))


async def test_search_finds_the_start_of_an_email_a_name_or_a_session_through_an_index(
    signed_in: OwnerBrowser, queries: list[str], engine_name: str
) -> None:
    ada = await place(
        OrderStatus.PAID,
        1,
        buyer_email="Ada.Lovelace@Example.com",
        ship_name="Ada Lovelace",
        stripe_session_id="cs_test_abcDEF123",
    )
    bob = await place(
        OrderStatus.PAID, 2, buyer_email="bob@example.com", ship_name="Bob Adams",
        stripe_session_id="cs_test_xyz",
    )  # fmt: skip
    found = {
        "ada": [ada],  # the start of an email and of a name
        "ADA.LOVE": [ada],
        "Ada  L": [ada],  # spaces as typed
        "bob": [bob],
        "adams": [],  # a prefix, not any part of the name
        "cs_test_abc": [ada],
        "cs_test_ABC": [],  # session ids are case-sensitive
        f"#{bob}": [bob],
        "a%": [],  # a LIKE wildcard is a character here
        "_": [],
        "ada.lovelace@example.com": [ada],
    }
    for q, wanted in found.items():
        page = await signed_in.http.get("/owner/orders", params={"q": q})
        assert (q, ids_in(page.text)) == (q, wanted)

    if engine_name != "postgres":
        return
    await many_orders(100_000)
    await Order.raw("ANALYZE shop_order")
    for q in ("ada", "Ada L", "cs_test_abc", "buyer7", "buyer7@example.com"):
        listing = await listing_sql(signed_in, queries, f"/owner/orders?q={q}")
        plan = await explain(f"EXPLAIN {listing}")
        assert "Index" in plan and "Seq Scan on shop_order" not in plan, (q, plan)


def paid_on(when: str, cents: int, refunded: int = 0) -> dict[str, Any]:
    return {
        "paid_at": datetime.fromisoformat(when).replace(tzinfo=UTC),
        "paid_cents": cents,
        "paid_currency": "usd",
        "refunded_cents": refunded,
    }


async def test_sales_figures_are_paid_minus_refunded_per_day_week_and_month(
    signed_in: OwnerBrowser, queries: list[str], engine_name: str
) -> None:
    await place(OrderStatus.PARTIALLY_REFUNDED, 1, **paid_on("2026-12-10 09:00", 2000, 500))
    await place(OrderStatus.PAID, 2, **paid_on("2026-12-08 23:59", 3000))  # this week (Tuesday)
    await place(OrderStatus.REFUNDED, 3, **paid_on("2026-12-02 10:00", 4000, 4000))
    await place(OrderStatus.PAID, 4, **paid_on("2026-11-30 10:00", 5000))  # last month, Monday
    await place(OrderStatus.NEEDS_REVIEW, 5, **paid_on("2026-12-10 10:00", 7000))  # not a sale
    await place(OrderStatus.PENDING, 6)

    def seen(figures: list[Any]) -> dict[str, tuple[int, int, int]]:
        return {f.period: (f.sales_cents, f.orders, f.average_cents) for f in figures}

    thursday = await sales_figures(datetime(2026, 12, 10, 12, tzinfo=UTC))
    assert seen(thursday) == {
        "today": (1500, 1, 2000),
        "week": (4500, 2, 2500),  # since Monday the 7th
        "month": (4500, 3, 3000),  # a full refund is no sale; its order still counts
    }
    # A week that began last month: Monday the 30th counts for the week, not the month.
    wednesday = await sales_figures(datetime(2026, 12, 2, 12, tzinfo=UTC))
    assert seen(wednesday) == {
        "today": (0, 1, 4000),
        "week": (5000, 2, 4500),
        "month": (0, 1, 4000),
    }

    board = (await signed_in.page("/owner/")).text
    assert 'id="sales-title"' in board and 'class="figures"' in board

    if engine_name != "postgres":
        return
    await many_orders(100_000)
    await Order.raw("ANALYZE shop_order")
    queries.clear()
    await sales_figures()
    [statement] = [sql for sql in queries if "today_orders" in sql]
    plan = await explain(f"EXPLAIN {statement}")
    assert "shop_order_paid_at" in plan and "Seq Scan on shop_order" not in plan, plan
