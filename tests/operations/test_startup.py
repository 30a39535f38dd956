"""Starting a server: it waits for its database, refuses one that is not migrated, and says so."""

from __future__ import annotations

import asyncio
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

import asyncpg
import httpx

from tests.reliability.cluster import Cluster, cluster  # noqa: F401 - a fixture
from tests.support.database import create_database, drop_database, migrate
from tests.support.http import ROOT, LiveServer, free_port
from tests.support.stripe_sandbox import eventually


def serve(env: dict[str, str]) -> list[str]:
    return [sys.executable, "-m", "uvicorn", "--factory", "app.main:create_app", "--host",
            "127.0.0.1", "--port", env["PORT"], "--log-level", "warning"]  # fmt: skip


def start_refused(env: dict[str, str]) -> str:
    """Start a server as an operator would; it must exit by itself. Returns what it logged."""
    done = subprocess.run(serve(env), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode != 0, done.stderr
    return done.stderr


@contextmanager
def fresh_database(test_env: dict[str, str]) -> Iterator[dict[str, str]]:
    admin_url = os.environ.get("TEST_DATABASE_URL")
    database, created = create_database(admin_url)
    port = str(free_port())
    try:
        yield {**test_env, **database, "PORT": port, "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    finally:
        if admin_url and created:
            drop_database(admin_url, created)


def test_a_server_on_an_unmigrated_database_refuses_to_start_naming_the_command(
    test_env: dict[str, str],
) -> None:
    with fresh_database(test_env) as env:
        logged = start_refused(env)
        assert "The database is not migrated" in logged and "make migrate" in logged
        assert "shop:" in logged and "user:" in logged, logged
        # A database nobody migrated was left as it was: no tables made behind the operator.
        if "SQLITE_PATH" in env:
            with sqlite3.connect(env["SQLITE_PATH"]) as db:
                assert db.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,)

        # One migration behind is behind too: the server names the one that is missing.
        migrate(env)
        newest = _newest_migration_id()
        _forget_migration(env, "shop", newest)
        logged = start_refused(env)
        assert f"1 migrations not applied: shop:{newest})" in logged, logged


def _newest_migration_id() -> str:
    newest = sorted((ROOT / "piccolo_migrations").glob("shop_*.py"))[-1].read_text()
    match = re.search(r'^ID = "([^"]+)"', newest, re.M)
    assert match
    return match.group(1)


def _forget_migration(env: dict[str, str], app: str, migration_id: str) -> None:
    statement = "DELETE FROM migration WHERE app_name = {} AND name = {}"
    if "DATABASE_URL" in env:

        async def forget() -> None:
            connection = await asyncpg.connect(env["DATABASE_URL"])
            try:
                done = await connection.execute(statement.format("$1", "$2"), app, migration_id)
                assert done == "DELETE 1"
            finally:
                await connection.close()

        asyncio.run(forget())
    else:
        with sqlite3.connect(env["SQLITE_PATH"]) as db:
            assert db.execute(statement.format("?", "?"), (app, migration_id)).rowcount == 1


def test_a_server_whose_postgresql_never_answers_gives_up_after_database_wait(
    test_env: dict[str, str],
) -> None:
    port = str(free_port())
    nowhere = f"postgresql://postgres@127.0.0.1:{free_port()}/postgres"
    env = {**test_env, "DATABASE_URL": nowhere, "DATABASE_WAIT": "2", "PORT": port,
           "PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    started = time.monotonic()
    logged = start_refused(env)
    assert "PostgreSQL did not accept a connection within 2 s" in logged, logged
    assert "waiting for PostgreSQL" in logged
    assert time.monotonic() - started < 30
    assert nowhere not in logged


async def test_a_server_waits_for_postgresql_then_readiness_follows_it_away_and_back(
    cluster: Cluster,  # noqa: F811 - the fixture
    test_env: dict[str, str],
) -> None:
    port = str(free_port())
    env = {**test_env, "DATABASE_URL": cluster.url, "PORT": port,
           "PUBLIC_URL": f"http://127.0.0.1:{port}"}  # fmt: skip
    await asyncio.to_thread(migrate, env)
    await asyncio.to_thread(cluster.stop, "fast")
    # Started before its database, as a recipe starts it beside PostgreSQL.
    server = LiveServer(env)
    starting = asyncio.create_task(asyncio.to_thread(server.start))
    await asyncio.sleep(2)
    assert not starting.done()
    await asyncio.to_thread(cluster.start)
    await starting
    try:
        async with httpx.AsyncClient(base_url=server.url, timeout=10) as http:

            async def readiness_is(status: int) -> bool:
                return (await http.get("/readyz")).status_code == status

            await eventually(lambda: readiness_is(200), within=30)
            await asyncio.to_thread(cluster.stop, "fast")
            lost = await http.get("/readyz")
            assert lost.status_code == 503 and lost.text.startswith("not ready:"), lost.text
            assert (await http.get("/healthz")).status_code == 200  # the process itself is fine
            await asyncio.to_thread(cluster.start)
            await eventually(lambda: readiness_is(200), within=30)
    finally:
        server.stop()
