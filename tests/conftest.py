"""Test harness: a fresh database per session, the app in the test's own loop, live servers."""

from __future__ import annotations

import asyncio
import os
import re
import secrets
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import httpx
import pytest
from litestar import Litestar

pytest_plugins = ["tests.stripe_sandbox", "tests.browser"]

ROOT = Path(__file__).resolve().parent.parent
_created_database: tuple[str, str] | None = None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _use_a_throwaway_database() -> None:
    """Point the whole run at a fresh database before anything imports the tables.

    This runs as this module is imported: pytest imports it before any conftest below it,
    and those may import the app (whose engine reads the environment once).
    """
    global _created_database
    if os.environ.get("SHOP_TEST_RUN"):
        return  # already done in this process, or inherited by a server a test started
    os.environ["SHOP_TEST_RUN"] = "1"
    port = free_port()
    os.environ.update(
        SECRET_KEY="test-" + secrets.token_urlsafe(40),
        PUBLIC_URL=f"http://127.0.0.1:{port}",
        HOST="127.0.0.1",
        PORT=str(port),
        DEBUG="0",
    )
    for name in ("STRIPE_SECRET_KEY", "STRIPE_WEBHOOK_SECRET", "STRIPE_API_BASE", "DATABASE_URL"):
        os.environ.pop(name, None)
    if admin_url := os.environ.get("TEST_DATABASE_URL"):
        name = f"shop_test_{secrets.token_hex(4)}"
        asyncio.run(_postgres(admin_url, f'CREATE DATABASE "{name}"'))
        _created_database = (admin_url, name)
        os.environ["DATABASE_URL"] = urlunsplit(urlsplit(admin_url)._replace(path=f"/{name}"))
    else:
        os.environ["SQLITE_PATH"] = str(
            Path(tempfile.mkdtemp(prefix="shop-test-")) / "shop.sqlite3"
        )
    subprocess.run(
        [sys.executable, "-m", "piccolo.main", "migrations", "forwards", "all"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    if _created_database:
        admin_url, name = _created_database
        asyncio.run(_postgres(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


async def _postgres(url: str, statement: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


_use_a_throwaway_database()


@pytest.fixture(scope="session")
def engine_name() -> str:
    return "postgres" if os.environ.get("DATABASE_URL") else "sqlite"


@asynccontextmanager
async def running(application: Litestar) -> AsyncIterator[Litestar]:
    """The app's lifespan (pool, seed, sandbox loop) around a block, in this event loop."""
    started, stopping = asyncio.Event(), asyncio.Event()

    async def run_lifespan() -> None:
        # anyio needs the lifespan entered and left in one task; fixtures span two.
        async with application.lifespan():
            started.set()
            await stopping.wait()

    task = asyncio.create_task(run_lifespan())
    await started.wait()
    try:
        yield application
    finally:
        stopping.set()
        await task


@asynccontextmanager
async def browser_like(application: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar (one visitor), talking to the app in this event loop."""
    transport = httpx.ASGITransport(app=application)
    async with httpx.AsyncClient(
        transport=transport, base_url=os.environ["PUBLIC_URL"], follow_redirects=False
    ) as http:
        yield http


@pytest.fixture(scope="session")
async def app() -> AsyncIterator[Litestar]:
    from app.main import create_app

    async with running(create_app()) as application:
        yield application


@pytest.fixture(autouse=True)
async def fresh_store() -> None:
    """Each test starts with no orders and the seeded catalogue at its original prices."""
    from app.catalog.service import seed_products
    from app.catalog.tables import Product
    from app.orders.tables import Order, StripeEvent

    await StripeEvent.delete(force=True)
    await Order.delete(force=True)  # lines go with their orders (ON DELETE CASCADE)
    await Product.delete(force=True)
    await seed_products()


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with browser_like(app) as http:
        yield http


_TOKEN = re.compile(r'name="_csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


@pytest.fixture
async def token(client: httpx.AsyncClient) -> str:
    """Visit the shop once (as a browser would) and return the form's CSRF token."""
    page = await client.get("/")
    assert page.status_code == 200
    return csrf_token(page.text)


HTMX = {"HX-Request": "true", "HX-Request-Type": "partial", "HX-Target": "form#cart"}


class LiveServer:
    """The app under uvicorn in its own process, on the port PUBLIC_URL names."""

    def __init__(self, env: dict[str, str], factory: str = "app.main:create_app") -> None:
        self.url = env["PUBLIC_URL"]
        self._env = env
        self._factory = factory
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        port = urlsplit(self.url).port
        self._process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                self._factory,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=self._env,
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise RuntimeError(f"the live server exited with {self._process.returncode}")
            try:
                if httpx.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the live server did not become healthy within 20 s")

    @property
    def pid(self) -> int:
        assert self._process is not None
        return self._process.pid

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, no rollback, as a crash or the OOM killer would do it."""
        if self._process and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)

    def stop(self) -> None:
        if self._process and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()


@pytest.fixture(scope="session")
def live_server() -> Iterator[LiveServer]:
    server = LiveServer(dict(os.environ))
    server.start()
    yield server
    server.stop()


class _Texts(HTMLParser):
    """Collects the text of every element matching a tag and class, as a browser would parse it."""

    def __init__(self, tag: str, cls: str) -> None:
        super().__init__()
        self.tag, self.cls = tag, cls
        self.found: list[str] = []
        self._depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._depth:
            self._depth += tag == self.tag
        elif tag == self.tag and self.cls in (dict(attrs).get("class") or "").split():
            self._depth = 1
            self.found.append("")

    def handle_endtag(self, tag: str) -> None:
        if self._depth and tag == self.tag:
            self._depth -= 1

    def handle_data(self, data: str) -> None:
        if self._depth:
            self.found[-1] += data


def texts_of(html: str, tag: str, cls: str) -> list[str]:
    """The whitespace-normalised text of each `<tag class="… cls …">` in the page."""
    parser = _Texts(tag, cls)
    parser.feed(html)
    return [" ".join(text.split()) for text in parser.found]
