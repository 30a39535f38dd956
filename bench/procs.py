"""Servers under test: start, wait until healthy, stop; CPU and memory read from /proc."""

from __future__ import annotations

import os
import resource
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
_TICK = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_command(server: str, factory: str, port: int, workers: int) -> list[str]:
    """The production command line (see `make serve`) for an ASGI app factory."""
    if server == "granian":
        return [
            str(BIN / "granian"),
            "--interface", "asgi", "--factory", factory,
            "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
            "--log-level", "warning", "--no-access-log",
        ]  # fmt: skip
    return [
        sys.executable, "-m", "uvicorn", "--factory", factory,
        "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers),
        "--log-level", "warning", "--no-access-log", "--no-proxy-headers",
        # As `make serve`: room for 1,000 open streams per worker beside the load, and open
        # streams do not hold up the stop for ever.
        "--limit-concurrency", "4000", "--timeout-graceful-shutdown", "10",
    ]  # fmt: skip


def raise_open_files(wanted: int = 16_384) -> int:
    """Lift this process's open-file limit (servers started later inherit it); the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft == resource.RLIM_INFINITY or soft >= target:
        return soft
    resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return target


@dataclass
class Server:
    name: str
    command: list[str]
    env: dict[str, str]
    port: int
    health: str = "/"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60) -> Server:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}")
            try:
                if httpx.get(self.url + self.health, timeout=2).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"{self.name} did not answer within {timeout:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def tree(self) -> list[int]:
        assert self.process is not None
        return [self.process.pid, *_descendants(self.process.pid)]

    def cpu_seconds(self) -> float:
        """User + system CPU of the server and all its workers so far."""
        return sum(_cpu(pid) for pid in self.tree())

    def workers(self) -> list[int]:
        """The processes serving requests: the supervisor's children, or the one process."""
        pids = self.tree()
        return pids[1:] or pids

    def worker_cpu_seconds(self) -> float:
        return sum(_cpu(pid) for pid in self.workers())

    def rss(self) -> int:
        """Resident memory of the server and all its processes now, in bytes."""
        return sum(_memory(pid)[0] for pid in self.tree())

    def worker_memory(self) -> list[tuple[int, int]]:
        """(current RSS, peak RSS) in bytes of each worker: processes serving requests."""
        pids = self.tree()
        workers = pids[1:] or pids
        # Helper processes (a multiprocessing resource tracker) hold no app: skip the tiny ones.
        rows = [_memory(pid) for pid in workers]
        return [row for row in rows if row[1] > 30 * 2**20] or rows


def _descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def _cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # utime and stime are fields 14 and 15 of stat; index 0 here is field 3 (state).
    return (int(fields[11]) + int(fields[12])) / _TICK


def _memory(pid: int) -> tuple[int, int]:
    values = {"VmRSS": 0, "VmHWM": 0}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            key, _, rest = line.partition(":")
            if key in values:
                values[key] = int(rest.split()[0]) * 1024
    except OSError:
        pass
    return values["VmRSS"], values["VmHWM"]


def postgres_cpu(database: str) -> dict[int, float]:
    """CPU seconds so far of each PostgreSQL backend connected to `database` (by its title)."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").split()
        except OSError:
            continue
        # A backend's title: "postgres: [<cluster>:] <user> <database> <client> <state>".
        if title[:1] == [b"postgres:"] and database.encode() in title[1:4]:
            found[int(entry.name)] = _cpu(int(entry.name))
    return found


def postgres_cpu_since(database: str, before: dict[int, float]) -> float:
    """CPU seconds the backends of `database` used since `before` (a new backend counts whole)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu(database).items())
