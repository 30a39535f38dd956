"""`python -m bench.mail`: what the outbox costs an arrow, the sender's rate, commit to arrival.

Needs the dev extra (aiosmtpd, the local SMTP sink) and PostgreSQL (BENCH_DATABASE_URL).
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from typing import Any

from aiosmtpd.controller import Controller

from app.mail.outbox import MailSite, postbox_for
from app.mail.sender import Sender
from app.mail.tables import Mail
from app.main import bind_store_tables
from app.orders import lifecycle
from app.orders.mailing import write_order_mails
from app.orders.tables import Order, OrderLine
from app.settings import load_settings
from bench import data
from bench.procs import free_port

ADMIN_URL = os.environ.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
ORDERS = int(os.environ.get("BENCH_MAIL_ORDERS", "1000"))
CONCURRENCY = 16  # arrows at once, as webhooks arrive
LATENCY_SAMPLES = 200
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


class Sink:
    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        for rcpt in envelope.rcpt_tos:
            self.arrived[rcpt] = time.perf_counter()
        return "250 OK"


async def orders(n: int, tag: str) -> list[int]:
    rows = await Order.insert(
        *(
            Order(visitor_id="v" * 24, checkout_token=f"{tag}-{i}", currency="usd",
                  subtotal_cents=1800, shipping_cents=490, total_cents=2290, link_token=f"t{i}")
            for i in range(n)
        )
    ).returning(Order.id)  # fmt: skip
    ids = [row["id"] for row in rows]
    await OrderLine.insert(
        *(
            OrderLine(order=i, sku="mug-350", name="Mug", unit_price_cents=1800, quantity=1)
            for i in ids
        )
    )
    return ids


async def pay_all(ids: list[int], tag: str) -> float:
    """Arrows per second, CONCURRENCY at a time."""
    queue = list(ids)

    async def worker() -> None:
        while queue:
            order_id = queue.pop()
            await lifecycle.take(
                "pay", order_id, {Order.buyer_email: f"{tag}{order_id}@bench.test"}
            )

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return len(ids) / (time.perf_counter() - start)


async def run(url: str, port: int, sink: Sink) -> None:
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-" + "k" * 40,
           "SMTP_URL": f"smtp://127.0.0.1:{port}", "MAIL_POLL_SECONDS": "1"}  # fmt: skip
    settings = load_settings(env)
    engine = bind_store_tables(settings.database)
    await engine.start_connection_pool(min_size=2, max_size=20)  # type: ignore[union-attr]
    postbox_for(engine).site = MailSite(settings.public_url)
    try:
        # Interleaved rounds, the ratio of each pair: the machine is shared and noisy.
        with_mail = lifecycle.EFFECTS
        without = tuple(effect for effect in with_mail if effect.__name__ != "_mail")
        ratios = []
        for n in range(ROUNDS):
            lifecycle.EFFECTS = without  # type: ignore[misc]
            bare = await pay_all(await orders(ORDERS // ROUNDS, f"bare{n}-"), f"bare{n}-")
            lifecycle.EFFECTS = with_mail  # type: ignore[misc]
            mailed = await pay_all(await orders(ORDERS // ROUNDS, f"mail{n}-"), f"mail{n}-")
            ratios.append(mailed / bare)
            print(f"round {n + 1}: arrows (pay) per second, {CONCURRENCY} at once: {bare:,.0f} "
                  f"without the outbox, {mailed:,.0f} with it")  # fmt: skip
        print(f"with the outbox ÷ without, median of {ROUNDS}: {statistics.median(ratios):.2f}")
        queued = await Mail.count().where(Mail.state == "queued")

        sender = Sender(settings.mail, write_order_mails)
        start = time.perf_counter()
        while await Mail.count().where(Mail.state == "queued"):
            await asyncio.gather(*(sender.round() for _ in range(4)))
        rate = queued / (time.perf_counter() - start)
        print(f"sender: {queued} emails to a local aiosmtpd at {rate:,.0f} emails/s")

        postbox_for(engine).wakers.append(sender.wake)
        task = asyncio.create_task(sender.run())
        waits = []
        for order_id in await orders(LATENCY_SAMPLES, "late"):
            rcpt = f"late{order_id}@bench.test"
            await lifecycle.take("pay", order_id, {Order.buyer_email: rcpt})
            committed = time.perf_counter()
            while rcpt not in sink.arrived:  # noqa: ASYNC110 - the sink is another thread
                await asyncio.sleep(0.001)
            waits.append((sink.arrived[rcpt] - committed) * 1000)
        sender.stop()
        await task
        cuts = statistics.quantiles(waits, n=100)
        print(f"commit to arrival at the SMTP server: p50 {cuts[49]:.1f} ms, p99 {cuts[98]:.1f} ms")
    finally:
        await engine.close_connection_pool()  # type: ignore[union-attr]


def main() -> None:
    name, url = asyncio.run(data.create_database(ADMIN_URL))
    sink, port = Sink(), free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        data.migrate({**os.environ, "DATABASE_URL": url})
        asyncio.run(run(url, port, sink))
    finally:
        controller.stop()
        asyncio.run(data.drop_database(ADMIN_URL, name))


if __name__ == "__main__":
    main()
