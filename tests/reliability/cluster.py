"""A throwaway PostgreSQL cluster for a test to stop and start; never the machine's shared one."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import free_port

BINARIES = Path("/usr/lib/postgresql/15/bin")


class Cluster:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def _run(self, *command: str) -> None:
        # initdb and pg_ctl refuse to run as root: run them as the postgres user then.
        prefix = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, timeout=60)

    def create(self) -> None:
        data = str(self.root / "data")
        self._run(
            str(BINARIES / "initdb"), "-D", data, "-U", "postgres", "-A", "trust", "--no-sync"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        log = str(self.root / "server.log")
        self._run(str(BINARIES / "pg_ctl"), "-D", str(self.root / "data"), "-o", options, "-l", log,
                  "-w", "start")  # fmt: skip

    def stop(self, mode: str = "fast") -> None:
        self._run(str(BINARIES / "pg_ctl"), "-D", str(self.root / "data"), "-m", mode, "-w", "stop")


@pytest.fixture
def cluster() -> Iterator[Cluster]:
    if not (BINARIES / "initdb").exists():
        if os.environ.get("CI"):
            pytest.fail(f"CI must have PostgreSQL 15's binaries in {BINARIES}")
        pytest.skip(f"PostgreSQL 15's binaries are not in {BINARIES}")
    root = Path(tempfile.mkdtemp(prefix="shop-outage-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    server = Cluster(root)
    server.create()
    server.start()
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            server.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)
