"""`make run` (python -m app) and `make serve` (uvicorn, several workers), as run by an operator."""

from __future__ import annotations

import asyncio
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import AsyncExitStack, contextmanager

import httpx
import pytest

from tests.support.checkout import Shopper
from tests.support.http import ROOT
from tests.support.live import EventStream, stream
from tests.support.owner import OwnerBrowser
from tests.support.stripe_sandbox import SandboxServer

# `make serve`'s own options (the Makefile), but the worker count, which the test chooses.
SERVE = (
    "--log-level", "warning", "--no-access-log", "--limit-concurrency", "4000",
    "--timeout-keep-alive", "5", "--timeout-graceful-shutdown", "10", "--no-proxy-headers",
)  # fmt: skip


class Store:
    """The store in a process of its own, as one of the two commands starts it."""

    def __init__(self, env: dict[str, str], command: list[str]) -> None:
        self.url = env["PUBLIC_URL"]
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.process.communicate()
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise AssertionError("the store did not become healthy within 30 s")

    def stop(self, within: float) -> tuple[float, str]:
        """SIGTERM; how long it took to exit, and what it logged (standard output, then error)."""
        sent = time.monotonic()
        self.process.send_signal(signal.SIGTERM)
        try:
            out, err = self.process.communicate(timeout=within)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate()
            raise AssertionError(
                f"still running {within} s after SIGTERM: {err.decode()}"
            ) from None
        return time.monotonic() - sent, out.decode() + err.decode()


@contextmanager
def running(env: dict[str, str], command: list[str]) -> Iterator[Store]:
    store = Store(env, command)
    try:
        yield store
    finally:
        if store.process.poll() is None:
            store.process.kill()
            store.process.communicate()


def make_run(env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "app"]


def make_serve(env: dict[str, str]) -> list[str]:
    workers = env["WEB_CONCURRENCY"]
    port = env["PORT"]
    return [
        sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host",
        "127.0.0.1", "--port", port, "--workers", workers, *SERVE,
    ]  # fmt: skip


@pytest.fixture(params=["make run", "make serve"])
def command(request: pytest.FixtureRequest) -> Callable[[dict[str, str]], list[str]]:
    return make_run if request.param == "make run" else make_serve


async def open_streams(
    stack: AsyncExitStack, url: str, sandbox: SandboxServer, visitors: int, each: int
) -> list[EventStream]:
    """`each` streams for each of `visitors` buyers with an order in flight (their tabs)."""
    streams = []
    for _ in range(visitors):
        http = await stack.enter_async_context(httpx.AsyncClient(base_url=url))
        await Shopper(http, sandbox).start_checkout({"mug-350": "1"})
        for _ in range(each):
            streams.append(await stack.enter_async_context(stream(http, "/orders/live")))
    return streams


async def test_sigterm_ends_every_open_stream_at_once_without_a_traceback(
    store_env: Callable[..., dict[str, str]],
    store_sandbox: SandboxServer,
    engine_name: str,
    command: Callable[[dict[str, str]], list[str]],
) -> None:
    # Several workers stream only on PostgreSQL (SQLite polls with more than one).
    env = store_env(WEB_CONCURRENCY="2" if engine_name == "postgres" else "1")
    with running(env, command(env)) as store:
        async with AsyncExitStack() as stack:
            streams = await open_streams(stack, store.url, store_sandbox, visitors=2, each=3)
            stopping = asyncio.get_running_loop().run_in_executor(None, store.stop, 20.0)
            # Each stream simply ends (the browser reconnects to the next process), long
            # before its lifetime (10 minutes) or uvicorn's graceful wait (10 s) is up.
            ends = await asyncio.gather(*(events.events_until_end(within=5) for events in streams))
            assert ends == [[]] * len(streams)
            took, err = await stopping
    assert took < 8, f"{took:.1f} s from SIGTERM to exit"  # a hang detector; bench/ measures
    assert "Traceback" not in err and "ERROR" not in err, err


async def test_make_run_believes_no_x_forwarded_for_unless_told_to(
    store_env: Callable[..., dict[str, str]], owner_account: int
) -> None:
    env = store_env()
    with running(env, make_run(env)) as store:
        async with httpx.AsyncClient(base_url=store.url) as http:
            guesser = OwnerBrowser(http)
            for n in range(5):
                http.headers["x-forwarded-for"] = f"203.0.113.{n + 1}"
                assert (await guesser.sign_in(f"name-{n}", "a wrong password")).status_code == 401
            http.headers["x-forwarded-for"] = "203.0.113.77"
            # Every guess came from 127.0.0.1, whatever the header claimed.
            assert (await guesser.sign_in("name-5", "a wrong password")).status_code == 429
        store.stop(within=20)


async def test_make_runs_access_log_keeps_no_query_strings(
    store_env: Callable[..., dict[str, str]],
) -> None:
    # Unbuffered: uvicorn ends by re-raising SIGTERM, which flushes nothing.
    env = store_env(PYTHONUNBUFFERED="1")
    with running(env, make_run(env)) as store:
        async with httpx.AsyncClient(base_url=store.url) as http:
            await http.get("/owner/orders", params={"q": "buyer@example.com"})
            await http.get("/checkout/success", params={"session_id": "cs_test_secretish123"})
            await http.get("/healthz")
        _, logged = store.stop(within=20)
    assert '"GET /healthz HTTP/1.1" 200' in logged  # the access log is on, and read here
    assert '"GET /owner/orders HTTP/1.1"' in logged
    assert "buyer" not in logged and "cs_test_secretish123" not in logged  # nor %40-encoded
