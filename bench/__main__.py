"""`python -m bench` (`make bench`): every figure is a ratio to a baseline measured in this run."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import statistics
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from bench import data, live, load, owner, report
from bench.pgcount import CountingProxy
from bench.procs import (
    Server,
    free_port,
    postgres_cpu,
    postgres_cpu_since,
    raise_open_files,
    server_command,
)

ENV = os.environ
SECONDS = float(ENV.get("BENCH_SECONDS", "10"))
WARMUP = float(ENV.get("BENCH_WARMUP", "2"))
ROUNDS = int(ENV.get("BENCH_ROUNDS", "3"))
WORKERS = int(ENV.get("BENCH_WORKERS") or os.cpu_count() or 2)
SERVER = ENV.get("BENCH_SERVER", "uvicorn")
CONNECTIONS = int(ENV.get("BENCH_CONNECTIONS", "64"))
BUYERS = int(ENV.get("BENCH_BUYERS", "100"))
LATENCY_MS = int(ENV.get("SANDBOX_LATENCY_MS", "200"))
ORDERS = int(ENV.get("BENCH_ORDERS", "3000"))
OWNER_ORDERS = int(ENV.get("BENCH_OWNER_ORDERS", "100000"))
ADMIN_URL = ENV.get("BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
SCENARIOS = ENV.get(
    "BENCH_SCENARIOS",
    "home,home-new,home-one,cart,orders,checkout,webhooks,owner,live,metrics,mail",
).split(",")
ONCE = ("live", "mail")  # after every round of the others, in this order
# Scenarios that also run against the hand-written page (bench/handwritten.py).
HANDWRITTEN = ("home", "home-new", "home-one", "cart")
SECRET_KEY = "bench-" + secrets.token_urlsafe(40)
WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(16)
VISITORS: dict[str, str] = {}  # the other visitors whose shop page is measured, by who they are
_TOKENS = re.compile(rb'(name="(?:_csrf_token|checkout_token)" value=|"x-csrftoken": )"[^"]*"')


def main() -> None:
    admin_url = ADMIN_URL
    raise_open_files()  # before the servers start: they inherit it (2,000 streams, see live)
    # Up to seven servers of WORKERS workers, each worker's pool up to 10 connections.
    needed, allowed = 7 * WORKERS * 10 + 20, asyncio.run(data.max_connections(admin_url))
    if allowed < needed:
        sys.exit(f"PostgreSQL allows {allowed} connections; the bench needs {needed}: "
                 f"ALTER SYSTEM SET max_connections = {needed}, then restart it")  # fmt: skip
    name, url = asyncio.run(data.create_database(admin_url))
    # The sandbox keeps a database of its own, on the same server as the store's (as before it
    # had one): a SQLite file would make its writes queue behind one lock and slow every Buy.
    sandbox_name, sandbox_url = asyncio.run(data.create_database(admin_url))
    servers: list[Server] = []
    try:
        results = bench(url, sandbox_url, servers)
        print(report.header(results) + report.budgets(results) + report.table(results))
        print(f"written to {report.write(results)}")
    finally:
        for server in servers:
            server.stop()
        asyncio.run(data.drop_database(admin_url, name))
        asyncio.run(data.drop_database(admin_url, sandbox_name))


def bench(url: str, sandbox_url: str, servers: list[Server]) -> report.Results:
    sandbox_port, store_port = free_port(), free_port()
    env = {**ENV, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "DEBUG": "0",
           "CHECKOUT_LIMIT_PER_MINUTE": "0",  # every bench Buy comes from 127.0.0.1
           # and every stream too: the live scenario holds thousands from one address
           "LIVE_STREAMS_PER_ADDRESS": "100000", "LIVE_STREAMS_PER_WORKER": "100000",
           "PUBLIC_URL": f"http://127.0.0.1:{store_port}",
           "SANDBOX_API_KEY": "sk_test_sandbox", "SANDBOX_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "SANDBOX_LATENCY_MS": str(LATENCY_MS), "STRIPE_SECRET_KEY": "sk_test_sandbox",
           "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
           "STRIPE_API_BASE": f"http://127.0.0.1:{sandbox_port}",
           # `python -m stripe_sandbox` migrates its database at start.
           "SANDBOX_DATABASE_URL": sandbox_url}  # fmt: skip
    data.migrate(env)
    visitor = data.mint_visitor_id()
    owner_data = None
    if "owner" in SCENARIOS:  # first, so ids and dates agree: older than the visitors' orders
        newest = datetime.now(UTC) - timedelta(minutes=ORDERS + 21)
        owner_data = asyncio.run(owner.seed(url, OWNER_ORDERS, newest))
    seeded = asyncio.run(data.seed_orders(url, visitor, ORDERS))
    VISITORS.update({"new visitor": data.mint_visitor_id(), "1 order": data.mint_visitor_id()})
    asyncio.run(data.seed_one_order(url, VISITORS["1 order"]))

    def start(name: str, port: int, factory: str, health: str, **extra: str) -> Server:
        command = server_command(SERVER, factory, port, WORKERS) if factory else sandbox
        server = Server(name, command, {**env, **extra}, port, health)
        servers.append(server)
        return server.start()

    sandbox = [sys.executable, "-m", "stripe_sandbox", "--port", str(sandbox_port)]
    start("sandbox", sandbox_port, "", "/v1/checkout/sessions")
    targets = {
        "store": start("store", store_port, "app.main:create_app", "/healthz"),
        "reference": start("reference", free_port(), "bench.reference:create_app", "/"),
        "bare": start("bare", free_port(), "bench.bare:create_app", "/"),
    }
    if "webhooks" in SCENARIOS:
        targets["no outbox"] = start("no outbox", free_port(), "bench.no_outbox:create_app",
                                     "/healthz")  # fmt: skip
    if "metrics" in SCENARIOS:  # the same store without its request metrics (METRICS=off)
        targets["unmetered"] = start(
            "unmetered", free_port(), "app.main:create_app", "/healthz", METRICS="off"
        )
    if any(name in SCENARIOS for name in HANDWRITTEN):
        targets["handwritten"] = start(
            "handwritten", free_port(), "bench.handwritten:create_app", "/"
        )
    session = data.open_shop(targets["store"].url, data.visitor_cookie(SECRET_KEY, visitor))
    # Each shop page measured against the hand-written one, by scenario name.
    pages = {"GET /": session} | {
        f"GET / ({who})": session.as_visitor(data.visitor_cookie(SECRET_KEY, visitor_id))
        for who, visitor_id in VISITORS.items()
    }
    results = report.Results(
        server=SERVER,
        setup={
            "load generator": load.GENERATOR + f" ({CONNECTIONS} connections, {BUYERS} for Buy)",
            "server": f"{SERVER}, {WORKERS} workers each (store, reference, hand-written, bare)",
            "duration": f"{SECONDS:g} s per run after {WARMUP:g} s warm-up, {ROUNDS} rounds",
            "data": f"{seeded} orders; the visitor has 20 paid orders of 1-3 lines",
            "sandbox latency": f"{LATENCY_MS} ms per Stripe call",
            **({"owner's orders": owner_data} if owner_data else {}),
            "same HTML as the reference": _same_html(targets, session),
            **(
                {"same visible text as the hand-written page": _same_text(targets, pages)}
                if "handwritten" in targets
                else {}
            ),
        },
    )
    if "handwritten" in targets:
        _count_statements(results, env, pages, session)
    results.note("POST /checkout", _burst(targets["store"].port, session, results))
    results.note("POST /webhooks/stripe", _duplicates_cost_nothing(targets["store"].port, url))
    for round_ in range(ROUNDS):
        for scenario in (name for name in SCENARIOS if name not in ONCE):
            SCENARIO[scenario](results, targets, session, url, round_)
        results.memory.append(targets["store"].worker_memory())
        print(f"round {round_ + 1} done", file=sys.stderr)
    # After every other round: a worker keeps the memory its most streams needed, so the growth
    # between rounds would say how streams spread over the workers, not whether a request leaks.
    for round_ in range(ROUNDS if "live" in SCENARIOS else 0):
        SCENARIO["live"](results, targets, session, url, round_)
        print(f"live round {round_ + 1} done", file=sys.stderr)
    if "mail" in SCENARIOS:
        for line in _mail_figures():
            results.note("email (bench/mail.py)", line)
    return results


def _mail_figures() -> list[str]:
    """bench/mail.py's figures: the arrow with and without the outbox, the sender, the delay."""
    done = subprocess.run([sys.executable, "-m", "bench.mail"], capture_output=True, text=True,
                          check=True, env={**ENV, "BENCH_DATABASE_URL": ADMIN_URL})  # fmt: skip
    return [line for line in done.stdout.splitlines() if line and not line.startswith("round")]


def measure(
    results: report.Results, scenario: str, target: str, server: Server,
    method: str, path: str, requests: Callable[[float], list[load.Request]], connections: int,
) -> load.Run:  # fmt: skip
    """A warm-up, then the measured run; server CPU is read around the measured run only."""
    load.run(server.port, method, path, requests(WARMUP), WARMUP, connections)
    batch = requests(SECONDS)
    database = server.env["DATABASE_URL"].rsplit("/", 1)[1]
    cpu, pg = server.cpu_seconds(), postgres_cpu(database)
    run = load.run(server.port, method, path, batch, SECONDS, connections)
    cpu_ms = (server.cpu_seconds() - cpu) * 1000 / max(run.requests, 1)
    # Only this target runs now, so the database's backends work for it alone.
    pg_ms = postgres_cpu_since(database, pg) * 1000 / max(run.requests, 1)
    results.add(scenario, target, report.Sample(run, cpu_ms, pg_ms))
    return run


def _pages(
    method: str, path: str, htmx: bool, body: str = "", *, visitor: str = "",
    against: tuple[str, ...] = ("store", "reference", "bare"),
) -> Callable[..., None]:  # fmt: skip
    """`visitor`: whose page, when not the visitor with 20 orders (a key of `sessions`)."""
    name = f"{method} {path}" + (f" ({visitor})" if visitor else "")

    def scenario(results: report.Results, targets: dict[str, Server], session: data.Session,
                 url: str, round_: int) -> None:  # fmt: skip
        if visitor:
            cookie = data.visitor_cookie(SECRET_KEY, VISITORS[visitor])
            session = session.as_visitor(cookie)
        request = [(session.headers(htmx=htmx), body)]
        for target in (t for t in against if t in targets):
            measure(results, name, target, targets[target], method, path,
                    lambda _s: request, CONNECTIONS)  # fmt: skip

    return scenario


def _metrics(results: report.Results, targets: dict[str, Server], session: data.Session,
             url: str, round_: int) -> None:  # fmt: skip
    """GET / with Litestar's Prometheus middleware and without it, back to back."""
    request = [(session.headers(htmx=False), "")]
    name = "GET / (metrics on, off)"
    on, off = (
        measure(
            results, name, target, targets[target], "GET", "/", lambda _s: request, CONNECTIONS
        ).rps
        for target in ("store", "unmetered")
    )
    if off:
        results.note(name, f"round {round_ + 1}: with metrics {on / off:.3f} of the requests/s")


def _checkout(results: report.Results, targets: dict[str, Server], session: data.Session,
              url: str, round_: int) -> None:  # fmt: skip
    def buys(seconds: float) -> list[load.Request]:
        # Enough distinct buyers that none repeats: at most BUYERS per Stripe latency.
        per_second = BUYERS / max(LATENCY_MS / 1000, 0.02)
        return data.checkout_requests(session, SECRET_KEY, int(per_second * (seconds + 1)))

    sessions = "SELECT count(*) FROM shop_order WHERE stripe_session_id IS NOT NULL"
    for target in ("store", "bare"):
        before = asyncio.run(data.count_rows(url, sessions))
        run = measure(results, "POST /checkout", target, targets[target], "POST", "/checkout",
                      buys, BUYERS)  # fmt: skip
        if target == "store":
            opened = asyncio.run(data.count_rows(url, sessions)) - before
            results.note(
                "POST /checkout",
                f"round {round_ + 1}: {run.rps:.0f} checkouts/s, each with its own Stripe "
                f"session; {opened} sessions opened in warm-up and run; about "
                f"{run.rps * run.mean_ms / 1000:.0f} in flight at once (rate x mean latency)",
            )


def _webhooks(results: report.Results, targets: dict[str, Server], session: data.Session,
              url: str, round_: int) -> None:  # fmt: skip
    intents = asyncio.run(data.paid_intents(url))
    batch = iter(range(1000))

    def events(seconds: float) -> list[load.Request]:
        n = next(batch)
        count = int(1500 * (seconds + 1))
        return data.webhook_requests(WEBHOOK_SECRET, intents, f"r{round_}b{n}", count,
                                     refunded=data.refund_floor())  # fmt: skip

    # "no outbox": the store but the mail effect, so the outbox's cost is the ratio of the two.
    for target in ("store", "no outbox", "bare"):
        run = measure(results, "POST /webhooks/stripe", target, targets[target], "POST",
                      "/webhooks/stripe", events, CONNECTIONS)  # fmt: skip
        if target == "store":
            # Its senders finish their emails before the next target runs beside them.
            drained = asyncio.run(data.outbox_drained(url))
            results.note(
                "POST /webhooks/stripe",
                f"round {round_ + 1}: {run.outcomes['applied']} applied, "
                f"{run.outcomes['duplicate']} duplicates answered; the emails they wrote were "
                f"all handled {drained:.1f} s after the run",
            )


def _duplicates_cost_nothing(port: int, url: str) -> str:
    """100 new events at once, then the same 100 again: rows and WAL written by the repeats."""
    intents = asyncio.run(data.paid_intents(url))
    sent = data.webhook_requests(WEBHOOK_SECRET, intents, "dup", 100, lag=10**6)
    raws = [load.raw_request("POST", "/webhooks/stripe", port, h, b) for h, b in sent]
    stored = "SELECT count(*) FROM shop_stripe_event"
    wal = "SELECT pg_current_wal_lsn() - '0/0'::pg_lsn"
    before = asyncio.run(data.count_rows(url, stored))
    asyncio.run(load.burst(port, raws))
    first, wal_first = (
        asyncio.run(data.count_rows(url, stored)),
        asyncio.run(data.count_rows(url, wal)),
    )
    asyncio.run(load.burst(port, raws))
    again, wal_again = (
        asyncio.run(data.count_rows(url, stored)),
        asyncio.run(data.count_rows(url, wal)),
    )
    return (
        f"100 new events wrote {first - before} event rows; the same 100 again wrote "
        f"{again - first} rows and {wal_again - wal_first} bytes of WAL"
    )


def _burst(port: int, session: data.Session, results: report.Results) -> str:
    buys = data.checkout_requests(session, SECRET_KEY, BUYERS)
    raws = [load.raw_request("POST", "/checkout", port, h, b) for h, b in buys]
    wall, latencies, failed = asyncio.run(load.burst(port, raws))
    results.burst_call_times = wall / (LATENCY_MS / 1000) if LATENCY_MS else None
    return (
        f"{BUYERS} concurrent Buys against {LATENCY_MS} ms per Stripe call all answered in "
        f"{wall:.2f} s ({failed} failed; serialised: {BUYERS * LATENCY_MS / 1000:.0f} s); "
        f"{sum(latencies) / wall:.0f} in flight on average"
    )


def _same_html(targets: dict[str, Server], session: data.Session) -> str:
    import httpx

    pages = [
        _TOKENS.sub(
            rb"\1", httpx.get(targets[t].url + "/", headers=session.headers(htmx=False)).content
        )
        for t in ("store", "reference")
    ]
    return "yes (tokens aside)" if pages[0] == pages[1] else "NO: the pages differ"


def _same_text(targets: dict[str, Server], pages: dict[str, data.Session]) -> str:
    """What a reader sees (text, labels, values, button states): store vs hand-written."""
    import httpx

    differ = []
    for name, session in pages.items():
        texts = [
            data.visible(httpx.get(targets[t].url + "/", headers=session.headers(htmx=False)).text)
            for t in ("store", "handwritten")
        ]
        if texts[0] != texts[1]:
            differ.append(f"{name}: {data.first_difference(*texts)}")
    return "yes" if not differ else "NO: " + "; ".join(differ)


def _count_statements(
    results: report.Results, env: dict[str, str], pages: dict[str, data.Session],
    session: data.Session,
) -> None:  # fmt: skip
    """Statements and bytes per request, from one worker of each started through a proxy."""
    import httpx

    proxy = CountingProxy(env["DATABASE_URL"])
    counted = {**env, "DATABASE_URL": proxy.url}
    requests = [(name, "GET", "/", s.headers(htmx=False), "") for name, s in pages.items()]
    requests.append(("POST /cart", "POST", "/cart", session.headers(htmx=True), CART))
    for target, factory in (("store", "app.main:create_app"),
                            ("handwritten", "bench.handwritten:create_app")):  # fmt: skip
        port = free_port()
        server = Server(target, server_command(SERVER, factory, port, 1), counted, port, "/")
        server.start()
        try:
            with httpx.Client(base_url=server.url, timeout=10) as client:
                for name, method, path, headers, body in requests:
                    headers = {**headers, "Content-Type": "application/x-www-form-urlencoded"}
                    for _ in range(20):  # prepared statements, type introspection
                        client.request(method, path, headers=headers, content=body)
                    proxy.reset()
                    sizes = [
                        len(client.request(method, path, headers=headers, content=body).content)
                        for _ in range(COUNTED)
                    ]
                    statements, trips = proxy.reset()
                    results.counts.setdefault(name, {})[target] = report.Counts(
                        statements / COUNTED, trips / COUNTED, statistics.median(sizes)
                    )
        finally:
            server.stop()


CART = urlencode(data.CART_FORM)
COUNTED = 200  # requests per page whose statements are counted
WITH_HANDWRITTEN = ("store", "reference", "handwritten", "bare")
PAIR = ("store", "handwritten")
SCENARIO: dict[str, Callable[..., None]] = {
    "home": _pages("GET", "/", htmx=False, against=WITH_HANDWRITTEN),
    "home-new": _pages("GET", "/", htmx=False, visitor="new visitor", against=PAIR),
    "home-one": _pages("GET", "/", htmx=False, visitor="1 order", against=PAIR),
    "cart": _pages("POST", "/cart", htmx=True, body=CART, against=WITH_HANDWRITTEN),
    "orders": _pages("GET", "/orders", htmx=True),
    "checkout": _checkout,
    "webhooks": _webhooks,
    "owner": owner.scenario(measure, CONNECTIONS),
    "live": live.scenario(measure, CONNECTIONS),
    "metrics": _metrics,
}

if __name__ == "__main__":
    main()
