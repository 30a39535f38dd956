"""The emails an arrow calls for: one outbox row per (order, kind, time), worded when sent."""

from __future__ import annotations

import secrets
from typing import Any

from app.db import bound_engine
from app.mail.compose import Letter, write
from app.mail.outbox import MailSite, Queued, enqueue, order_mail, postbox_for, unwritten
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
# What an arrow's row must return for its email (lifecycle.take returns them for every arrow).
FOR_MAIL = (Order.buyer_email, Order.refunded_cents)


_FIELDS = (
    "id", "currency", "total_cents", "shipping_cents", "paid_cents", "refunded_cents",
    "buyer_email", "ship_name", "carrier", "tracking_number", "review_reason", "link_token",
)  # fmt: skip
_ORDERS_WITH_LINES = """
    SELECT o.id, o.currency, o.total_cents, o.shipping_cents, o.paid_cents, o.refunded_cents,
           o.buyer_email, o.ship_name, o.carrier, o.tracking_number, o.review_reason,
           o.link_token, l.name, l.quantity, l.unit_price_cents AS price
      FROM shop_order AS o LEFT JOIN shop_order_line AS l ON l."order" = o.id
     WHERE o.id IN ({ids}) ORDER BY o.id, l.id
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
    """The effect: the emails arrow `arrow` calls for, in one INSERT (the words come at send)."""
    kind = _kind(arrow)
    if kind is None:
        return
    engine = bound_engine()
    site = postbox_for(engine).site
    mails = []
    for row in rows:
        to = site.owner_email if kind == "review" else row["buyer_email"]
        figure = row["refunded_cents"] if kind == "refunded" else None
        if to:
            mails.append(_unwritten(row["id"], kind, to, figure))
        if kind == "confirmed" and site.owner_email and site.owner_hears_of_sales:
            mails.append(_unwritten(row["id"], "sale", site.owner_email))
    await enqueue(engine, mails)


def _unwritten(order_id: int, kind: str, to: str, figure: int | None = None) -> Queued:
    # One per (order, kind, occurrence): a refund is an occurrence of its own figure.
    occurrence = "" if figure is None else f"-{figure}"
    return Queued(f"order-{order_id}-{kind}{occurrence}", order_id, kind, to, refunded_cents=figure)


async def write_order_mails(mails: list[dict[str, Any]]) -> list[Letter]:
    """Arrows' emails in words (one read for all their orders): each order as it is now, and
    a refund's figure as it was then."""
    orders = await _orders({mail["order_id"] for mail in mails})
    return [_letter(mail, dict(orders[mail["order_id"]])) for mail in mails]


def _letter(mail: dict[str, Any], order: dict[str, Any]) -> Letter:
    site = postbox_for(bound_engine()).site
    if mail["refunded_cents"] is not None:
        order["refunded_cents"] = mail["refunded_cents"]
    # Orders paid before the amount was kept were charged their total.
    order["paid_cents"] = order["paid_cents"] or order["total_cents"]
    kind, to = mail["kind"], mail["to_address"]
    total = format_money(order["total_cents"], order["currency"])
    subject = SUBJECTS[kind].format(id=order["id"], total=total)
    if kind in ("review", "sale"):
        owner_link = f"{site.public_url}/owner/orders/{order['id']}"
        return write(kind, to, subject, order=order, owner_link=owner_link)
    link = order_link(site, order["id"], order["link_token"])
    full = order["refunded_cents"] >= order["paid_cents"]
    return write(kind, to, subject, link, order=order, name=order["ship_name"] or "", full=full)


async def order_emails(order_id: int) -> list[dict[str, Any]]:
    """The order's emails for the owner, each with its words (one not sent yet: as it will be)."""
    emails = await order_mail(order_id)
    unworded = [email for email in emails if unwritten(email)]
    for email, letter in zip(unworded, await write_order_mails(unworded), strict=True):
        email.update(subject=letter.subject, text_body=letter.text)
    return emails


def _kind(arrow: str) -> str | None:
    if arrow in CONFIRMED:
        return "confirmed"
    if arrow in REFUNDED:
        return "refunded"
    return {"fail": "payment_failed", "ship": "shipped", "flag": "review"}.get(arrow)


async def _orders(order_ids: set[int]) -> dict[int, dict[str, Any]]:
    """The orders and their lines, by id, in one query."""
    if not order_ids:
        return {}
    ids = ", ".join(str(int(order_id)) for order_id in sorted(order_ids))
    orders: dict[int, dict[str, Any]] = {}
    for row in await Order.raw(_ORDERS_WITH_LINES.replace("{ids}", ids)):
        order = orders.setdefault(row["id"], {name: row[name] for name in _FIELDS} | {"lines": []})
        if row["name"] is not None:
            line = {
                "name": row["name"],
                "quantity": row["quantity"],
                "unit_price_cents": row["price"],
            }
            order["lines"].append(line)
    for order in orders.values():
        if not order["link_token"]:  # an order from before links: it gets one now
            order["link_token"] = await link_token_of(order["id"])
    return orders
