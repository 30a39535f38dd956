"""Orders as CSV: keyset pages of PAGE rows streamed one at a time, so memory stays flat."""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from typing import Any

from piccolo.columns.combination import WhereRaw
from piccolo.custom_types import Combinable

from app.audit.trail import Action, record
from app.money import format_amount
from app.orders.tables import Order, OrderLine, OrderStatus
from app.owner.search import search_where
from app.owner.sessions import Owner
from app.text import visible

PAGE = 500
HEADER = (
    "number", "placed", "status", "fulfilment", "items", "shipping", "total", "refunded",
    "currency", "email", "ship_to", "carrier", "tracking",
)  # fmt: skip
# A spreadsheet runs a cell starting with one of these as a formula (OWASP "CSV injection").
_FORMULA = ("=", "+", "-", "@", "\t", "\r")
_COLUMNS = (
    Order.id, Order.created_at, Order.status, Order.fulfilment, Order.shipping_cents,
    Order.total_cents, Order.refunded_cents, Order.currency, Order.buyer_email, Order.ship_name,
    Order.ship_line1, Order.ship_line2, Order.ship_postal_code, Order.ship_city,
    Order.ship_state, Order.ship_country, Order.carrier, Order.tracking_number,
)  # fmt: skip


def neutralised(cell: str) -> str:
    """A cell a spreadsheet shows as text, never runs: a leading quote before a formula sign."""
    return f"'{cell}" if cell.startswith(_FORMULA) else cell


async def export_orders(owner: Owner, status: OrderStatus | None, q: str) -> AsyncIterator[str]:
    """Audit the export, then stream its rows: the list's filter and search, newest first."""
    await record(Action.EXPORTED, actor=owner.who, detail=f"orders.csv status={status} q={q}")
    return _rows(status, q)


async def _rows(status: OrderStatus | None, q: str) -> AsyncIterator[str]:
    yield _line(HEADER)
    where: list[Combinable] = []
    if status is not None:
        where.append(WhereRaw(f"status = '{status.value}'"))  # a literal: see order_page
    if q.strip():
        search = search_where(q)
        if search is None:
            return
        where.append(search)
    before: int | None = None
    while True:
        page_where = [*where, Order.id < before] if before is not None else where
        query = Order.select(*_COLUMNS).where(*page_where)
        rows = await query.order_by(Order.id, ascending=False).limit(PAGE)
        if not rows:
            return
        items = await _items([row["id"] for row in rows])
        yield "".join(_line(_cells(row, items.get(row["id"], ""))) for row in rows)
        before = rows[-1]["id"]


async def _items(order_ids: list[int]) -> dict[int, str]:
    lines = (
        await OrderLine.select(OrderLine.order, OrderLine.sku, OrderLine.quantity)
        .where(OrderLine.order.is_in(order_ids))
        .order_by(OrderLine.id)
    )
    items: dict[int, list[str]] = defaultdict(list)
    for line in lines:
        items[line["order"]].append(f"{line['quantity']} x {line['sku']}")
    return {order_id: "; ".join(words) for order_id, words in items.items()}


def _cells(row: dict[str, Any], items: str) -> list[str]:
    currency = row["currency"]
    place = (row["ship_postal_code"], row["ship_city"], row["ship_state"], row["ship_country"])
    address = (
        row["ship_name"],
        row["ship_line1"],
        row["ship_line2"],
        " ".join(filter(None, place)),
    )
    return [
        str(row["id"]),
        row["created_at"].isoformat(),
        row["status"],
        row["fulfilment"],
        items,
        format_amount(row["shipping_cents"], currency),
        format_amount(row["total_cents"], currency),
        format_amount(row["refunded_cents"], currency),
        currency.upper(),
        row["buyer_email"] or "",
        ", ".join(part for part in address if part),
        row["carrier"] or "",
        row["tracking_number"] or "",
    ]


def _line(cells: Iterable[str]) -> str:
    out = io.StringIO()
    # Stripe's shipping form keeps what was typed: formatting characters are shown as codes.
    csv.writer(out).writerow([neutralised(visible(cell)) for cell in cells])
    return out.getvalue()
