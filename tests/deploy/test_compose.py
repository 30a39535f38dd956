"""The recipe (compose.yaml) under podman-compose on the host network: up with its own .env, one
purchase, the confirmation in the mail catcher, a reconcile round, and down again."""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.deploy.podman import BASE, buy_once, needs_podman, podman, wait_healthy
from tests.support.http import ROOT, free_port

pytestmark = needs_podman()

# No registry here: a stand-in with the official image's interface, from Debian's packages.
POSTGRES = "localhost/postgres:15-local"


@pytest.fixture(scope="session")
def postgres_image() -> str:
    podman(
        "build", "--isolation", "chroot", "--network", "host", "--build-arg", f"BASE={BASE}",
        "-t", POSTGRES, "-f", str(ROOT / "tests/deploy/postgres.Containerfile"),
        str(ROOT / "tests/deploy"),
        timeout=600,
    )  # fmt: skip
    return POSTGRES


def compose(folder: Path, project: str, *args: str) -> subprocess.CompletedProcess[str]:
    # Only what podman needs: nothing from this shell may fill in the recipe's variables.
    env = {k: os.environ[k] for k in ("PATH", "HOME", "CONTAINERS_CONF") if k in os.environ}
    command = [str(Path(sys.executable).parent / "podman-compose"), "-p", project, *args]
    return subprocess.run(
        command, cwd=folder, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def logs_until(container: str, text: str, within: float) -> str:
    deadline = time.monotonic() + within
    while True:
        logs = podman("logs", container, check=False)
        if text in logs.stdout + logs.stderr or time.monotonic() > deadline:
            return logs.stdout + logs.stderr
        time.sleep(0.5)


@pytest.fixture
def recipe(tmp_path: Path, image: str, postgres_image: str) -> Iterator[tuple[str, str]]:
    """compose.yaml as committed, beside an .env as the README says to write it; up, then down."""
    shutil.copy(ROOT / "compose.yaml", tmp_path / "compose.yaml")
    port = free_port()
    (tmp_path / ".env").write_text(
        f"SECRET_KEY={secrets.token_urlsafe(48)}\n"
        f"POSTGRES_PASSWORD={secrets.token_hex(16)}\n"
        f"PUBLIC_URL=http://127.0.0.1:{port}\nPORT={port}\n"
        f"DB_PORT={free_port()}\nMAIL_PORT={free_port()}\nWEB_CONCURRENCY=2\n"
        f"STORE_IMAGE={image}\nPOSTGRES_IMAGE={postgres_image}\n"
    )
    project = f"recipe-{secrets.token_hex(3)}"
    try:
        up = compose(tmp_path, project, "up", "-d")
        assert up.returncode == 0, up.stdout + up.stderr
        yield project, f"http://127.0.0.1:{port}"
    finally:
        down = compose(tmp_path, project, "down", "--volumes")
        assert down.returncode == 0, down.stdout + down.stderr


async def test_the_recipe_sells_mails_and_reconciles(recipe: tuple[str, str]) -> None:
    project, url = recipe
    wait_healthy(url, f"{project}_web_1", within=120)
    migrate = podman("inspect", "--format", "{{.State.ExitCode}}", f"{project}_migrate_1")
    assert migrate.stdout.strip() == "0"

    await buy_once(url)

    mail = logs_until(f"{project}_mail_1", "Subject: Order #1 is confirmed", within=30)
    assert "Subject: Order #1 is confirmed" in mail and "To: ada@example.com" in mail
    rounds = logs_until(f"{project}_reconcile_1", "stale order(s)", within=30)
    assert "checked 0 stale order(s) with Stripe" in rounds
    health = podman("exec", f"{project}_web_1", "/app/deploy/entrypoint", "healthcheck")
    assert health.returncode == 0
