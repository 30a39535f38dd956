"""The container image, built from the repository: who it runs as, what it leaves out, and one
purchase through it: migrate as a step, then the server, on the host's PostgreSQL."""

from __future__ import annotations

import json
import os
import re
import secrets
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from tests.deploy.podman import buy_once, env_args, needs_podman, podman, wait_healthy
from tests.support.database import create_database, drop_database, run_sql
from tests.support.http import free_port

pytestmark = needs_podman()


@pytest.fixture
def databases() -> Iterator[dict[str, str]]:
    """A fresh database for the store and one for the mounted sandbox, dropped afterwards."""
    admin_url = os.environ["TEST_DATABASE_URL"]
    store, store_name = create_database(admin_url)
    sandbox, sandbox_name = create_database(admin_url)
    yield {**store, "SANDBOX_DATABASE_URL": sandbox["DATABASE_URL"]}
    for name in (store_name, sandbox_name):
        assert name is not None
        drop_database(admin_url, name)


def store_env(databases: dict[str, str], port: int) -> dict[str, str]:
    """No Stripe keys: the store mounts the sandbox, whose hosted page takes the payment."""
    return {
        **databases,
        "SECRET_KEY": "image-test-" + secrets.token_urlsafe(40),
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
    }


def test_the_image_runs_as_a_user_without_pip_or_a_compiler(image: str) -> None:
    [config] = json.loads(podman("image", "inspect", image).stdout)
    assert config["Config"]["User"] == "10001:10001"
    assert config["Healthcheck"]["Test"] == ["CMD", "/app/deploy/entrypoint", "healthcheck"]
    found = podman(
        "run", "--rm", image, "python", "-c",
        "import importlib.util, os, shutil; print(os.getuid(), "
        "[t for t in ('gcc', 'cc', 'c99', 'pip', 'pip3') if shutil.which(t)], "
        "importlib.util.find_spec('pip'))",
    )  # fmt: skip
    assert found.stdout.split(" ", 1) == ["10001", "[] None\n"]


def test_migrate_waits_for_its_database_and_gives_up_in_time(
    image: str, databases: dict[str, str], containers: list[str]
) -> None:
    admin = urlsplit(os.environ["TEST_DATABASE_URL"])
    server = f"{admin.hostname}:{admin.port or 5432}"
    late = f"shop_test_late_{secrets.token_hex(4)}"
    url = urlunsplit(admin._replace(path=f"/{late}"))
    env = {**store_env(databases, free_port()), "DATABASE_URL": url}
    # The database appears only once the step has started waiting for it.
    creation = threading.Timer(3, run_sql, (admin.geturl(), f'CREATE DATABASE "{late}"'))
    creation.start()
    try:
        migrated = podman("run", "--rm", "--network", "host", *env_args(env), image, "migrate")
        assert f"waiting for the database at {server}/{late}" in migrated.stderr
        tables = podman(
            "run", "--rm", "--network", "host", "-e", f"DATABASE_URL={url}", image,
            "piccolo", "migrations", "check",
        )  # fmt: skip
        assert re.search(r"^shop +\|.*\| True$", tables.stdout, re.MULTILINE), tables.stdout
        assert "| False" not in tables.stdout, tables.stdout
    finally:
        creation.join()
        drop_database(admin.geturl(), late)

    gone = f"shop_test_never_{secrets.token_hex(4)}"
    secret = urlunsplit(admin._replace(netloc=f"postgres:s3cret-pw@{server}", path=f"/{gone}"))
    never = {**env, "DATABASE_URL": secret, "DATABASE_WAIT": "2"}
    refused = podman(
        "run", "--rm", "--network", "host", *env_args(never), image, "migrate", check=False
    )
    assert refused.returncode != 0
    assert f"gave up waiting for the database at {server}/{gone}" in refused.stderr
    assert "s3cret-pw" not in refused.stdout + refused.stderr


async def test_a_purchase_through_the_image_on_the_host_network(
    image: str, databases: dict[str, str], containers: list[str]
) -> None:
    port = free_port()
    env = store_env(databases, port)
    host = ["--network", "host", *env_args(env)]
    podman("run", "--rm", *host, image, "migrate", timeout=180)
    containers.append(name := f"store-test-{secrets.token_hex(4)}")
    podman("run", "--detach", "--name", name, *host, image)  # the image's own command: serve
    url = env["PUBLIC_URL"]
    wait_healthy(url, name)

    await buy_once(url)
