"""Talking to the store as a browser would: clients, live servers and reading what pages say."""

from __future__ import annotations

import asyncio
import re
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import httpx
from litestar import Litestar

ROOT = Path(__file__).resolve().parent.parent.parent
HTMX = {"HX-Request": "true", "HX-Request-Type": "partial", "HX-Target": "form#cart"}
_CSRF = re.compile(r'name="_csrf_token" value="([^"]+)"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def csrf_token(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page carries no CSRF token"
    return match.group(1)


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
async def browser_like(
    application: Litestar, base_url: str, client: tuple[str, int] = ("127.0.0.1", 123)
) -> AsyncIterator[httpx.AsyncClient]:
    """A client with its own cookie jar (one visitor), talking to the app in this event loop."""
    transport = httpx.ASGITransport(app=application, client=client)
    async with httpx.AsyncClient(
        transport=transport, base_url=base_url, follow_redirects=False
    ) as http:
        yield http


class LiveServer:
    """The app under uvicorn in its own process, on the port PUBLIC_URL names."""

    def __init__(
        self, env: Mapping[str, str], factory: str = "app.main:create_app", *args: str
    ) -> None:
        self.url = env["PUBLIC_URL"]
        self._env = dict(env)
        self._factory = factory
        self._args = args  # more uvicorn options
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
                # As `make serve`: the app decides which X-Forwarded-For to believe, not uvicorn.
                "--no-proxy-headers",
                *self._args,
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
    def returncode(self) -> int | None:
        assert self._process is not None
        return self._process.poll()

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
