"""The owner's sales figures: today, this week and this month (UTC), in one indexed query."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.db import utcnow
from app.orders.tables import Order

PERIODS = ("today", "week", "month")
# One scan of the orders paid since the earliest period began (the index shop_order_paid_at,
# migration 0013), each period summed by its own condition. A sale: paid, partially refunded
# or refunded (needs_review is not one until the owner accepts it), less what was refunded.
_QUERY = """
SELECT paid_currency AS currency,
  SUM(CASE WHEN paid_at >= {} THEN 1 ELSE 0 END) AS today_orders,
  SUM(CASE WHEN paid_at >= {} THEN paid_cents ELSE 0 END) AS today_paid,
  SUM(CASE WHEN paid_at >= {} THEN refunded_cents ELSE 0 END) AS today_refunded,
  SUM(CASE WHEN paid_at >= {} THEN 1 ELSE 0 END) AS week_orders,
  SUM(CASE WHEN paid_at >= {} THEN paid_cents ELSE 0 END) AS week_paid,
  SUM(CASE WHEN paid_at >= {} THEN refunded_cents ELSE 0 END) AS week_refunded,
  SUM(CASE WHEN paid_at >= {} THEN 1 ELSE 0 END) AS month_orders,
  SUM(CASE WHEN paid_at >= {} THEN paid_cents ELSE 0 END) AS month_paid,
  SUM(CASE WHEN paid_at >= {} THEN refunded_cents ELSE 0 END) AS month_refunded
FROM shop_order
WHERE paid_at >= {} AND paid_at <= {} AND status IN ('paid', 'partially_refunded', 'refunded')
GROUP BY paid_currency ORDER BY paid_currency
"""


@dataclass(frozen=True, slots=True)
class Figure:
    period: str  # "today", "week" or "month"
    currency: str
    orders: int
    paid_cents: int
    refunded_cents: int

    @property
    def sales_cents(self) -> int:
        return self.paid_cents - self.refunded_cents

    @property
    def average_cents(self) -> int:
        """What an order charged, on average (before refunds); 0 without orders."""
        return self.paid_cents // self.orders if self.orders else 0


def period_starts(now: datetime) -> dict[str, datetime]:
    today = now.replace(hour=0, minute=0, second=0, microsecond=0)
    return {
        "today": today,
        "week": today - timedelta(days=today.weekday()),  # since Monday
        "month": today.replace(day=1),
    }


async def sales_figures(now: datetime | None = None) -> list[Figure]:
    """Per currency sold in this month or week, the three periods' figures, in that order."""
    now = now or utcnow()
    starts = period_starts(now)
    args = [starts[p] for p in PERIODS for _ in range(3)] + [min(starts.values()), now]
    rows = await Order.raw(_QUERY, *args)
    return [
        Figure(
            period=p,
            currency=row["currency"],
            orders=int(row[f"{p}_orders"] or 0),
            paid_cents=int(row[f"{p}_paid"] or 0),
            refunded_cents=int(row[f"{p}_refunded"] or 0),
        )
        for row in rows
        for p in PERIODS
    ]
