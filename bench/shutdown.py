"""Seconds from SIGTERM to exit with open streams: `python -m bench.shutdown` (about a minute).

Starts the store twice on a throwaway SQLite file with the mounted sandbox, once as `make run`
(`python -m app`) and once as `make serve` (uvicorn, one worker: SQLite streams with one), opens
BENCH_STREAMS (100) `/orders/live` streams from buyers with an order in flight, sends SIGTERM and
prints how long until every stream had ended and the process had exited, and whether its
standard error held a traceback. Never part of `make test`.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from bench.procs import free_port

ROOT = Path(__file__).resolve().parent.parent
STREAMS = int(os.environ.get("BENCH_STREAMS", "100"))
PER_VISITOR = 4  # a visitor's tabs: the store bounds streams per visitor
CAP = float(os.environ.get("BENCH_SHUTDOWN_CAP", "60"))  # give up waiting after this long
TOKENS = re.compile(r'name="(_csrf_token|checkout_token)" value="([^"]+)"')


def commands(port: int) -> dict[str, list[str]]:
    serve = [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host",
             "127.0.0.1", "--port", str(port), "--workers", "1", "--log-level", "warning",
             "--no-access-log", "--limit-concurrency", "4000", "--timeout-keep-alive", "5",
             "--timeout-graceful-shutdown", "10", "--no-proxy-headers"]  # fmt: skip
    return {"make run": [sys.executable, "-m", "app"], "make serve": serve}


async def buyer(url: str) -> httpx.AsyncClient:
    """A browser with an order in flight (its Checkout Session open at the sandbox)."""
    http = httpx.AsyncClient(base_url=url, timeout=30)
    fields = dict(TOKENS.findall((await http.get("/")).text))
    answer = await http.post(
        "/checkout", data={**fields, "qty-mug-350": "1"}, headers={"HX-Request": "true"}
    )
    assert answer.status_code == 200 and "hx-redirect" in answer.headers, answer.status_code
    return http


async def hold(http: httpx.AsyncClient, opened: asyncio.Event, ended: list[float]) -> None:
    for _ in range(3):
        try:
            headers = {"accept": "text/event-stream"}
            async with http.stream("GET", "/orders/live", headers=headers) as response:
                async for line in response.aiter_lines():
                    if line == ": listening":
                        opened.set()
        except httpx.RemoteProtocolError:
            if not opened.is_set():
                continue  # a kept-alive connection the server closed just then: again
            raise
        break
    ended.append(time.monotonic())


def start(command: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)


async def measure(name: str, command: list[str], env: dict[str, str], url: str) -> str:
    process = start(command, env)
    try:
        async with httpx.AsyncClient(base_url=url, timeout=1) as probe:
            for _ in range(300):
                try:
                    if (await probe.get("/healthz")).status_code == 200:
                        break
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        clients = [await buyer(url) for _ in range(-(-STREAMS // PER_VISITOR))]
        ended: list[float] = []
        tasks, opened = [], []
        for n in range(STREAMS):
            event = asyncio.Event()
            opened.append(event)
            tasks.append(asyncio.create_task(hold(clients[n // PER_VISITOR], event, ended)))
        await asyncio.wait_for(asyncio.gather(*(e.wait() for e in opened)), 60)
        sent = time.monotonic()
        process.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(asyncio.to_thread(process.wait), CAP)
            exited = f"{time.monotonic() - sent:.2f} s"
        except TimeoutError:
            exited = f"still running after {CAP:.0f} s (killed)"
            process.kill()
        await asyncio.gather(*tasks, return_exceptions=True)
        last = f"{max(ended) - sent:.2f} s" if len(ended) == STREAMS else "not all ended"
        for client in clients:
            await client.aclose()
    finally:
        if process.poll() is None:
            process.kill()
        err = process.communicate()[1].decode()
    traceback = f"{err.count('Traceback')} traceback(s) in its log"
    return f"{name}: {STREAMS} streams; last stream ended {last}; exit {exited}; {traceback}"


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        port = free_port()
        env = {**os.environ, "SQLITE_PATH": f"{folder}/shop.sqlite3", "PORT": str(port),
               "SANDBOX_SQLITE_PATH": f"{folder}/sandbox.sqlite3", "WEB_CONCURRENCY": "1",
               "PUBLIC_URL": f"http://127.0.0.1:{port}", "SECRET_KEY": "b" * 40,
               "CHECKOUT_LIMIT_PER_MINUTE": "0",
               "LIVE_STREAMS_PER_ADDRESS": str(STREAMS),
               "LIVE_STREAMS_PER_WORKER": str(STREAMS)}  # fmt: skip
        env.pop("DATABASE_URL", None)
        bin_ = Path(sys.executable).parent
        subprocess.run([bin_ / "piccolo", "migrations", "forwards", "all"], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # fmt: skip
        subprocess.run([sys.executable, "-m", "stripe_sandbox", "migrate"], cwd=ROOT, env=env,
                       check=True, capture_output=True)  # fmt: skip
        url = env["PUBLIC_URL"]
        only = os.environ.get("BENCH_SHUTDOWN_ONLY")  # "make run" or "make serve"
        for name, command in commands(port).items():
            if only and name != only:
                continue
            print(asyncio.run(measure(name, command, env, url)), flush=True)


if __name__ == "__main__":
    main()
