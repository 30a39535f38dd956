"""The emails an arrow writes into the outbox, in its transaction: one per (order, kind, time)."""

from __future__ import annotations

import secrets
from typing import Any

from app.db import Engine, bound_engine
from app.mail.compose import write
from app.mail.outbox import MailSite, post, postbox_for
from app.money import format_money
from app.orders.tables import Order

CONFIRMED = {"pay", "accept", "accept_refunded"}
REFUNDED = {"refund_part", "refund_in_review", "refund_all"}
SUBJECTS = {
    "confirmed": "Order #{id} is confirmed",
    "payment_failed": "Order #{id}: the payment did not go through",
    "shipped": "Order #{id} has shipped",
    "refunded": "Order #{id}: your refund",
    "review": "Order #{id} needs your review",
    "sale": "Order #{id} is paid: {total}",
}


_FIELDS = (
    "id", "currency", "total_cents", "shipping_cents", "paid_cents", "refunded_cents",
    "buyer_email", "ship_name", "carrier", "tracking_number", "review_reason", "link_token",
)  # fmt: skip
_ORDER_WITH_LINES = """
    SELECT o.id, o.currency, o.total_cents, o.shipping_cents, o.paid_cents, o.refunded_cents,
           o.buyer_email, o.ship_name, o.carrier, o.tracking_number, o.review_reason,
           o.link_token, l.name, l.quantity, l.unit_price_cents AS price
      FROM shop_order AS o LEFT JOIN shop_order_line AS l ON l."order" = o.id
     WHERE o.id = {} ORDER BY l.id
"""


def order_link(site: MailSite, order_id: int, token: str) -> str:
    return f"{site.public_url}/order/{order_id}/{token}"


async def link_token_of(order_id: int) -> str:
    """The order's link token; an order from before links gets one now (first writer wins)."""
    await Order.update({Order.link_token: secrets.token_urlsafe(24)}).where(
        (Order.id == order_id) & Order.link_token.is_null()
    )
    row = await Order.select(Order.link_token).where(Order.id == order_id).first()
    assert row is not None and row["link_token"]
    return str(row["link_token"])


async def mail_on_arrow(arrow: str, rows: list[dict[str, Any]]) -> None:
    """The effect: the buyer's (or owner's) email for what arrow `arrow` did to each order."""
    kind = _kind(arrow)
    if kind is None:
        return
    engine = bound_engine()
    site = postbox_for(engine).site
    for row in rows:
        order = await _order(row["id"])
        occurrence = f"-{order['refunded_cents']}" if kind == "refunded" else ""
        subject = SUBJECTS[kind].format(id=order["id"], total="")
        if kind == "review":
            if not site.owner_email:
                continue
            owner_link = f"{site.public_url}/owner/orders/{order['id']}"
            letter = write(kind, site.owner_email, subject, order=order, owner_link=owner_link)
        else:
            if not order["buyer_email"]:
                continue
            link = order_link(site, order["id"], order["link_token"])
            full = order["refunded_cents"] >= (order["paid_cents"] or order["total_cents"])
            name = order["ship_name"] or ""
            to = order["buyer_email"]
            letter = write(kind, to, subject, link, order=order, name=name, full=full)
        await post(engine, f"order-{order['id']}-{kind}{occurrence}", letter, order_id=order["id"])
        if kind == "confirmed" and site.owner_email and site.owner_hears_of_sales:
            await _tell_owner_of_sale(engine, site, order)


async def _tell_owner_of_sale(engine: Engine, site: MailSite, order: dict[str, Any]) -> None:
    assert site.owner_email
    total = format_money(order["total_cents"], order["currency"])
    subject = SUBJECTS["sale"].format(id=order["id"], total=total)
    owner_link = f"{site.public_url}/owner/orders/{order['id']}"
    letter = write("sale", site.owner_email, subject, order=order, owner_link=owner_link)
    await post(engine, f"order-{order['id']}-sale", letter, order_id=order["id"])


def _kind(arrow: str) -> str | None:
    if arrow in CONFIRMED:
        return "confirmed"
    if arrow in REFUNDED:
        return "refunded"
    return {"fail": "payment_failed", "ship": "shipped", "flag": "review"}.get(arrow)


async def _order(order_id: int) -> dict[str, Any]:
    """The order and its lines in one query: this runs inside every arrow's transaction."""
    rows = await Order.raw(_ORDER_WITH_LINES, order_id)
    order = {name: rows[0][name] for name in _FIELDS}
    order["lines"] = [
        {"name": row["name"], "quantity": row["quantity"], "unit_price_cents": row["price"]}
        for row in rows
        if row["name"] is not None
    ]
    if not order["link_token"]:  # an order from before links: it gets one now
        order["link_token"] = await link_token_of(order_id)
    return order
