"""Load generators: wrk (Debian's package) when present, else a bounded asyncio HTTP/1.1 client."""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

WRK = shutil.which("wrk")
GENERATOR = "wrk" if WRK else "asyncio client"
# Every run is bounded in time; the asyncio client is also bounded in count.
MAX_REQUESTS = 2_000_000

Request = tuple[dict[str, str], str]  # headers, body


@dataclass
class Run:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    mean_ms: float
    errors: int
    outcomes: dict[str, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def raw_request(method: str, path: str, port: int, headers: dict[str, str], body: str) -> bytes:
    data = body.encode()
    fields = {"Host": f"127.0.0.1:{port}", **headers}
    if method == "POST":
        fields.setdefault("Content-Type", "application/x-www-form-urlencoded")
        fields["Content-Length"] = str(len(data))
    head = "".join(f"{name}: {value}\r\n" for name, value in fields.items())
    return f"{method} {path} HTTP/1.1\r\n{head}\r\n".encode() + data


def run(
    port: int, method: str, path: str, requests: list[Request], seconds: float, connections: int
) -> Run:
    """Send `requests` round-robin for `seconds` over `connections` keep-alive connections."""
    raws = [raw_request(method, path, port, h, b) for h, b in requests]
    if WRK:
        return _wrk(port, raws, seconds, connections)
    return asyncio.run(_client(port, raws, seconds, connections))


_REPORT = """
local threads = {}
function setup(thread) table.insert(threads, thread) end
duplicate, applied = 0, 0
function response(status, headers, body)
  if body:find('"duplicate"', 1, true) then duplicate = duplicate + 1
  elseif body:find('"applied"', 1, true) then applied = applied + 1 end
end
function done(summary, latency, requests)
  local d, a = 0, 0
  for _, t in ipairs(threads) do d = d + t:get("duplicate"); a = a + t:get("applied") end
  local e = summary.errors
  io.write(string.format('BENCH {"requests":%d,"us":%d,"p50":%d,"p99":%d,"mean":%f,' ..
    '"errors":%d,"duplicate":%d,"applied":%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.mean,
    e.connect + e.read + e.write + e.status + e.timeout, d, a))
end
"""


_UNPRINTABLE = re.compile(r'[^\x20-\x7e]|["\\]')


def _lua_string(data: bytes) -> str:
    escape = _UNPRINTABLE.sub(lambda m: f"\\{ord(m.group()):03d}", data.decode("latin-1"))
    return f'"{escape}"'


def _wrk(port: int, raws: list[bytes], seconds: float, connections: int) -> Run:
    script = "local reqs = {\n" + ",\n".join(_lua_string(r) for r in raws) + "\n}\n"
    script += "local i = 0\nfunction request() i = i % #reqs + 1; return reqs[i] end\n" + _REPORT
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as file:
        file.write(script)
    try:
        command = [WRK or "wrk", "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s",
                   "--timeout", "10s", "-s", file.name, f"http://127.0.0.1:{port}/"]  # fmt: skip
        output = subprocess.run(
            command, capture_output=True, text=True, check=True, timeout=seconds + 60
        ).stdout
    finally:
        Path(file.name).unlink()
    line = next(x for x in output.splitlines() if x.startswith("BENCH "))
    data = json.loads(line.removeprefix("BENCH "))
    return Run(
        requests=data["requests"],
        seconds=data["us"] / 1e6,
        p50_ms=data["p50"] / 1000,
        p99_ms=data["p99"] / 1000,
        mean_ms=data["mean"] / 1000,
        errors=data["errors"],
        outcomes={"duplicate": data["duplicate"], "applied": data["applied"]},
    )


async def fetch(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, raw: bytes) -> bytes:
    """One request on a keep-alive connection; returns the status line and body."""
    writer.write(raw)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
    if headers.get("transfer-encoding") == "chunked":
        body = b""
        while size := int((await reader.readuntil(b"\r\n")).strip(), 16):
            body += (await reader.readexactly(size + 2))[:-2]
        await reader.readuntil(b"\r\n")
    else:
        body = await reader.readexactly(int(headers.get("content-length", "0")))
    return lines[0].encode() + b"\n" + body


async def _client(port: int, raws: list[bytes], seconds: float, connections: int) -> Run:
    latencies: list[float] = []
    errors = 0
    outcomes = {"duplicate": 0, "applied": 0}
    counter = iter(range(MAX_REQUESTS))
    start = time.perf_counter()
    deadline = start + seconds

    async def connection() -> None:
        nonlocal errors
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while time.perf_counter() < deadline and (n := next(counter, None)) is not None:
                sent = time.perf_counter()
                answer = await fetch(reader, writer, raws[n % len(raws)])
                latencies.append(time.perf_counter() - sent)
                errors += int(answer.split(b" ", 2)[1]) >= 400
                for key in outcomes:
                    outcomes[key] += f'"{key}"'.encode() in answer
        finally:
            writer.close()

    await asyncio.wait_for(
        asyncio.gather(*(connection() for _ in range(connections))), seconds + 30
    )
    elapsed = time.perf_counter() - start
    ordered = sorted(latencies) or [0.0]
    return Run(
        requests=len(latencies),
        seconds=elapsed,
        p50_ms=statistics.median(ordered) * 1000,
        p99_ms=ordered[int(len(ordered) * 0.99) - 1 if len(ordered) > 1 else 0] * 1000,
        mean_ms=statistics.fmean(ordered) * 1000,
        errors=errors,
        outcomes=outcomes,
    )


async def burst(port: int, raws: list[bytes]) -> tuple[float, list[float], int]:
    """All requests at once, one connection each: wall time, each latency, and the failures."""
    pairs = await asyncio.gather(*(asyncio.open_connection("127.0.0.1", port) for _ in raws))
    start = time.perf_counter()

    async def one(
        pair: tuple[asyncio.StreamReader, asyncio.StreamWriter], raw: bytes
    ) -> tuple[float, bool]:
        answer = await fetch(*pair, raw)
        pair[1].close()
        return time.perf_counter() - start, int(answer.split(b" ", 2)[1]) >= 400

    done = await asyncio.wait_for(
        asyncio.gather(*(one(p, r) for p, r in zip(pairs, raws, strict=True))), 60
    )
    wall = time.perf_counter() - start
    return wall, [latency for latency, _ in done], sum(failed for _, failed in done)
