"""What a scrape reads from the database itself: orders by status and the mail outbox's backlog."""

from __future__ import annotations

from piccolo.query.functions.aggregate import Count
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.mail.tables import Mail, MailState
from app.orders.tables import Order, OrderStatus

# Waiting to go, or gone wrong: sent and never-sent mail is no backlog.
_BACKLOG = (MailState.QUEUED, MailState.SENDING, MailState.RETRYING, MailState.FAILED)


class Figures(Collector):
    """Gauges read once per scrape (one GROUP BY each), so they hold across workers."""

    def __init__(self, orders: dict[str, int], mail: dict[str, int]) -> None:
        self._orders, self._mail = orders, mail

    def collect(self) -> list[GaugeMetricFamily]:
        orders = GaugeMetricFamily("shop_orders", "Orders, by status", labels=["status"])
        for status in OrderStatus:
            orders.add_metric([status.value], self._orders.get(status.value, 0))
        mail = GaugeMetricFamily(
            "shop_mail_outbox", "Emails not sent (yet), by state", labels=["state"]
        )
        for state in _BACKLOG:
            mail.add_metric([state.value], self._mail.get(state.value, 0))
        return [orders, mail]


async def read_figures() -> Figures:
    orders = await Order.select(Order.status, Count()).group_by(Order.status)
    mail = (
        await Mail.select(Mail.state, Count())
        .where(Mail.state.is_in([state.value for state in _BACKLOG]))
        .group_by(Mail.state)
    )
    return Figures(
        {row["status"]: row["count"] for row in orders},
        {row["state"]: row["count"] for row in mail},
    )
