"""The `live` scenario: thousands of open order streams, their cost, how soon a payment shows."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import Callable

from bench import data, live_seed, load
from bench.live_seed import Buyer
from bench.live_sse import SETTLED, Stream, close_all, open_all
from bench.procs import Server
from bench.report import LiveRound, Results, Sample

ENV = os.environ
STREAMS = int(ENV.get("BENCH_STREAMS", "2000"))
SAMPLE = int(ENV.get("BENCH_LIVE_SAMPLE", "300"))
PACE = float(ENV.get("BENCH_LIVE_PACE", "20"))  # sampled webhooks per second
IDLE_SECONDS = float(ENV.get("BENCH_IDLE_SECONDS", "10"))
NONE = "POST /webhooks/stripe (no stream open)"
OPEN = f"POST /webhooks/stripe ({STREAMS:,} streams open)"
# Visitors whose order is still pending, kept across rounds: a round pays SAMPLE of them.
_pool: list[Buyer] = []


def scenario(measure: Callable[..., load.Run], connections: int) -> Callable[..., None]:
    def run(results: Results, targets: dict[str, Server], session: data.Session, url: str,
            round_: int) -> None:  # fmt: skip
        store, env = targets["store"], targets["store"].env
        topped = _top_up(store, env, session, url)
        intents = asyncio.run(data.paid_intents(url))
        batch = iter(range(1000))

        def events(seconds: float) -> list[load.Request]:
            # The webhooks scenario's load: refunds of the other visitors' paid orders.
            return data.webhook_requests(env["STRIPE_WEBHOOK_SECRET"], intents,
                                         f"live-r{round_}b{next(batch)}", int(1500 * (seconds + 1)),
                                         refunded=data.refund_floor())  # fmt: skip

        def load_run(label: str) -> Sample:
            measure(results, label, "store", store, "POST", "/webhooks/stripe", events, connections)
            return results.samples[label]["store"][-1]

        idle = _idle_cpu([store, *([targets["bare"]] if "bare" in targets else [])])
        live, checks = asyncio.run(_round(store, env, load_run, idle))
        results.live.append(live)
        if round_ == 0:
            results.note("live", topped)
        results.note("live", f"round {round_ + 1}: {checks}")
        print(f"live: round {round_ + 1}: p99 {live.percentile(0.99):.1f} ms", file=sys.stderr)

    return run


def _top_up(store: Server, env: dict[str, str], session: data.Session, url: str) -> str:
    """Enough pending, paid-at-the-sandbox visitors for STREAMS streams; says what it made."""
    need, start = STREAMS - len(_pool), time.perf_counter()
    if need > 0:
        made = live_seed.pending_paid(
            store.port, env["STRIPE_API_BASE"], session, env["SECRET_KEY"], url, need
        )
        _pool.extend(asyncio.run(made))
    return (
        f"{need:,} visitors made as buyers are (Buy at the store, Pay on the sandbox's hosted "
        f"page, no webhook sent) in {time.perf_counter() - start:.1f} s; each round pays "
        f"{SAMPLE} of them by delivering the sandbox's own checkout.session.completed, signed"
    )


def _idle_cpu(servers: list[Server]) -> list[float]:
    """Each server's workers' CPU seconds per second, over the same seconds with no request."""
    time.sleep(2)  # the last requests' stragglers
    before = [server.worker_cpu_seconds() for server in servers]
    time.sleep(IDLE_SECONDS)
    after = [server.worker_cpu_seconds() for server in servers]
    return [(end - start) / IDLE_SECONDS for start, end in zip(before, after, strict=True)]


async def _round(
    store: Server, env: dict[str, str], load_run: Callable[[str], Sample], idle: list[float]
) -> tuple[LiveRound, str]:
    """The round's figures, and what was checked on the way."""
    buyers = _pool[:STREAMS]
    # No streams before and after the run with them: a machine that others load drifts.
    before = await asyncio.to_thread(load_run, NONE)
    # A few streams opened and closed first: code first run and buffers first grown are no
    # stream's own cost.
    await close_all(await open_all(store.port, [(b.visitor_id, b.cookie) for b in buyers[:50]]))
    await asyncio.sleep(1)
    rss = store.rss()
    start = time.perf_counter()
    streams = await open_all(store.port, [(b.visitor_id, b.cookie) for b in buyers])
    try:
        opened = time.perf_counter() - start
        await asyncio.sleep(2)  # idle: every stream subscribed and waiting
        kib = (store.rss() - rss) / len(streams) / 1024
        _check_quiet(streams, "after opening")
        every = await asyncio.to_thread(load_run, OPEN)
        _check_quiet(streams, "after the webhook load")
        by_visitor = {stream.visitor_id: stream for stream in streams}
        sample = buyers[:SAMPLE]
        bodies = await live_seed.completed_events(env["STRIPE_API_BASE"], env["STRIPE_SECRET_KEY"])
        latencies, missing, in_flight = await _deliver(store.port, env, sample, bodies, by_visitor)
        await asyncio.sleep(1)  # anything misrouted has time to arrive
        sampled = {buyer.visitor_id for buyer in sample}
        others = [s for s in streams if s.visitor_id not in sampled]
        heard = [s for s in others if s.heard or s.ended]
        settled = sum(SETTLED in s.heard and s.ended for s in streams if s.visitor_id in sampled)
        checks = (
            f"{sum(s.heartbeats for s in streams):,} heartbeats heard in all; {settled} of "
            f"{len(sample)} sampled streams then said `settled` and ended, as they should"
        )
        if heard:
            checks += f"; another stream heard {heard[0].heard} (ended: {heard[0].ended})"
    finally:
        await close_all(streams)
    del _pool[: len(sample)]
    await asyncio.sleep(1)  # the store notices the closed streams
    after = await asyncio.to_thread(load_run, NONE)
    pace = f"{PACE:g}/s, one connection each, {in_flight:.1f} in flight on average"
    rps, cpu = (before.run.rps, after.run.rps), (before.cpu_ms + after.cpu_ms) / 2
    live = LiveRound(len(streams), opened, latencies, missing, len(heard), kib, rps,
                     every.run.rps, (cpu, every.cpu_ms), idle[0], idle[1:], pace)  # fmt: skip
    return live, checks


def _check_quiet(streams: list[Stream], when: str) -> None:
    """Nothing but heartbeats yet: else the figures that follow would mean nothing."""
    if noisy := [s for s in streams if s.heard or s.ended]:
        first = noisy[0]
        raise RuntimeError(
            f"{len(noisy)} streams heard something {when}, before any of their orders changed; "
            f"the first heard {first.heard} (ended: {first.ended})"
        )


async def _deliver(
    port: int, env: dict[str, str], sample: list[Buyer], bodies: dict[str, str],
    streams: dict[str, Stream],
) -> tuple[list[float], int, float]:  # fmt: skip
    """Each sampled order's webhook, paced: (its stream's event - its response) in ms each,
    how many streams were never told, and how many webhooks were in flight on average."""
    secret = env["STRIPE_WEBHOOK_SECRET"]
    answered: dict[str, float] = {}
    busy: list[float] = []  # each delivery's seconds, connect to response
    lost = [buyer.session_id for buyer in sample if buyer.session_id not in bodies]
    if lost:
        raise RuntimeError(f"the sandbox has no completed event for {len(lost)}: {lost[0]}")

    async def deliver(buyer: Buyer) -> None:
        body = bodies[buyer.session_id]
        raw = load.raw_request("POST", "/webhooks/stripe", port, data.signed_webhook(secret, body),
                               body)  # fmt: skip
        sent = time.perf_counter()
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            answer = await load.fetch(reader, writer, raw)
            answered[buyer.visitor_id] = time.perf_counter()
            busy.append(answered[buyer.visitor_id] - sent)
        finally:
            writer.close()
        if b'"applied"' not in answer:
            raise RuntimeError(f"webhook for order {buyer.order_id}: {answer[:500]!r}")

    start = time.perf_counter()
    async with asyncio.timeout(len(sample) / PACE + 60), asyncio.TaskGroup() as group:
        for n, buyer in enumerate(sample):
            await asyncio.sleep(max(0.0, start + n / PACE - time.perf_counter()))
            group.create_task(deliver(buyer))
    told = [streams[b.visitor_id] for b in sample]
    waits = [asyncio.wait_for(stream.changed.wait(), 10) for stream in told]
    await asyncio.gather(*waits, return_exceptions=True)
    latencies = [(s.changed_at - answered[s.visitor_id]) * 1000 for s in told if s.changed_at]
    return latencies, sum(s.changed_at is None for s in told), sum(busy) / (len(sample) / PACE)
