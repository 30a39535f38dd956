"""Find my orders: an address's order links, emailed to it; the same answer whether or not any."""

from __future__ import annotations

import math
import re
import secrets
import time

from piccolo.columns.combination import WhereRaw

from app.db import atomic, bound_engine
from app.mail.compose import write
from app.mail.outbox import post, postbox_for
from app.mail.tables import MailWindow
from app.orders.mailing import link_token_of, order_link
from app.orders.tables import Order

ASKS_PER_HOUR = 3  # per client address and per email address
MOST_ORDERS = 50
SAID = "If we have orders for that address, the links are on their way."
# One statement, so two workers counting at once each get their own number.
_COUNT = (
    "INSERT INTO shop_mail_window (bucket, hour, asks) VALUES ({}, {}, 1)"
    " ON CONFLICT (bucket, hour) DO UPDATE SET asks = shop_mail_window.asks + 1"
    " RETURNING asks"
)
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s.]+(\.[^@\s.]+)+")


class InvalidEmail(Exception):
    """Not something an email could be sent to."""


class TooManyAsks(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__(f"too many asks; retry after {retry_after} s")
        self.retry_after = retry_after


async def find_orders(email: str, client_address: str, *, now: float | None = None) -> str:
    """Write one email with the links of `email`'s orders (none if it has none); what to say."""
    email = email.strip().lower()
    if len(email) > 254 or not _EMAIL.fullmatch(email):
        raise InvalidEmail()
    now = time.time() if now is None else now
    hour = int(now // 3600)
    async with atomic():
        for bucket in (f"ip:{client_address[:64]}", f"to:{email}"):
            [row] = await MailWindow.raw(_COUNT, bucket, hour)
            if row["asks"] > ASKS_PER_HOUR:
                raise TooManyAsks(max(1, math.ceil((hour + 1) * 3600 - now)))
        orders = await (
            Order.select(Order.id, Order.created_at)
            .where(WhereRaw("lower(buyer_email) = {}", email))
            .order_by(Order.id, ascending=False)
            .limit(MOST_ORDERS)
        )
        if orders:
            site = postbox_for(bound_engine()).site
            for order in orders:
                order["link"] = order_link(site, order["id"], await link_token_of(order["id"]))
            letter = write("links", email, "Your orders at Corner Roastery", orders=orders)
            await post(bound_engine(), f"find-{secrets.token_hex(12)}", letter, order_id=None)
    return SAID
