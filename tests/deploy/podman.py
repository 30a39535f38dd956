"""Podman as an operator runs it here: the image built from the repository, run on the host."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from tests.support.checkout import PRICES_SEEN, TOKEN, session_id_of
from tests.support.http import HTMX, ROOT, csrf_token
from tests.support.stripe_sandbox import submit_card

IMAGE = "localhost/corner-roastery:test"
# No registry is reachable here: CI debootstraps this base (.ci/run); users get python:3.12-slim.
BASE = os.environ.get("CONTAINER_BASE", "localhost/debian:bookworm")
CA_BUNDLE = Path("/etc/ssl/certs/ca-certificates.crt")


def needs_podman() -> pytest.MarkDecorator:
    wanted = os.environ.get("CONTAINER_TESTS") == "1"
    return pytest.mark.skipif(
        not (wanted and shutil.which("podman") and os.environ.get("TEST_DATABASE_URL")),
        reason="builds and runs the image: set CONTAINER_TESTS=1 and TEST_DATABASE_URL, with "
        "podman installed (.ci/run does all three)",
    )


def podman(
    *args: str, timeout: float = 120, check: bool = True
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        ["podman", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if check:
        assert done.returncode == 0, f"podman {' '.join(args[:3])}: {done.stdout}{done.stderr}"
    return done


def build_image() -> str:
    """`podman build` of the repository's Containerfile, as the README says to run it here."""
    certs = ["-v", f"{CA_BUNDLE.parent}:/host-certs:ro"] if CA_BUNDLE.exists() else []
    podman(
        "build", "--isolation", "chroot", "--network", "host", "--format", "docker",
        "--build-arg", f"BASE={BASE}", *certs, "-t", IMAGE, str(ROOT),
        timeout=900,
    )  # fmt: skip
    return IMAGE


def env_args(env: dict[str, str]) -> list[str]:
    return [arg for name, value in env.items() for arg in ("-e", f"{name}={value}")]


def wait_healthy(url: str, container: str, within: float = 60) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        state = podman("inspect", "--format", "{{.State.Running}}", container, check=False)
        if state.stdout.strip() != "true":
            break
        time.sleep(0.2)
    logs = podman("logs", container, check=False)
    raise AssertionError(f"{container} never answered /healthz: {logs.stdout}{logs.stderr}")


async def buy_once(url: str) -> None:
    """As a browser: the shop, Buy, the mounted sandbox's hosted page, success, My Orders paid."""
    async with httpx.AsyncClient(base_url=url, timeout=30) as browser:
        shop = await browser.get("/")
        assert shop.status_code == 200 and "Test mode: payments are simulated" in shop.text
        token, prices = TOKEN.search(shop.text), PRICES_SEEN.search(shop.text)
        assert token and prices
        bought = await browser.post(
            "/checkout",
            data={
                "_csrf_token": csrf_token(shop.text),
                "checkout_token": token.group(1),
                "prices_seen": prices.group(1),
                "qty-mug-350": "1",
            },
            headers=HTMX,
        )
        assert bought.status_code == 200, bought.text
        hosted = bought.headers["hx-redirect"]
        assert hosted.startswith(f"{url}/stripe-sandbox/pay/cs_test_")
        paid = await submit_card(browser, hosted, "4242 4242 4242 4242")
        session_id = session_id_of(hosted)
        assert paid.status_code == 303
        assert paid.headers["location"] == f"{url}/checkout/success?session_id={session_id}"
        success = await browser.get(paid.headers["location"])
        assert success.status_code == 200 and "Thank you: payment received" in success.text
        orders = await browser.get("/orders", headers=HTMX)
    listed = re.findall(r'data-order-id="\d+" data-status="([a-z_]+)"', orders.text)
    assert listed == ["paid"]
    assert "Paid" in orders.text
