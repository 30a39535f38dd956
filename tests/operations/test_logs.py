"""LOG_FORMAT=json: one JSON object a line with stable keys, and never a secret, email or card."""

from __future__ import annotations

import asyncio
import json
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from stripe_sandbox import mounted_settings
from tests.support.checkout import Shopper
from tests.support.database import migrate
from tests.support.http import ROOT, free_port
from tests.support.stripe_sandbox import eventually, submit_card

KEYS = ["time", "level", "logger", "message", "request_id", "order_id"]
CARD = "4242424242424242"


def start(env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """`make run`'s command, its standard output and error kept in `log`."""
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [sys.executable, "-m", "app"], cwd=ROOT, env=env, stdout=sink, stderr=sink
        )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            if httpx.get(f"{env['PUBLIC_URL']}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.1)
    process.kill()
    raise AssertionError("the store did not become ready within 30 s")


async def test_a_whole_purchase_logs_json_lines_without_a_secret_an_email_or_a_card(
    test_env: dict[str, str],
) -> None:
    port = free_port()
    webhook_secret = "whsec_" + secrets.token_hex(16)
    folder = Path(tempfile.mkdtemp(prefix="shop-log-"))
    env = {**test_env, "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}",
           "LOG_FORMAT": "json", "LOG_LEVEL": "DEBUG",
           "STRIPE_WEBHOOK_SECRET": webhook_secret,
           # A mounted sandbox of its own: every process mounting the run's shared one delivers
           # any due event to its own store, signed with its own secret (a 400 here, and the
           # next try a minute later).
           "SANDBOX_SQLITE_PATH": str(folder / "sandbox.sqlite3")}  # fmt: skip
    await asyncio.to_thread(migrate, env, "-m", "stripe_sandbox", "migrate")
    email = f"buyer-{secrets.token_hex(4)}@example.com"
    log = folder / "store.log"
    process = start(env, log)
    try:
        async with httpx.AsyncClient(base_url=env["PUBLIC_URL"], timeout=20) as http:
            buyer = Shopper(http, sandbox=None)  # type: ignore[arg-type]
            await buyer.open_shop()
            bought = await buyer.buy({"beans-250": "1"})
            request_id = bought.headers["x-request-id"]
            hosted = bought.headers["hx-redirect"]
            paid = await submit_card(http, hosted, "4242 4242 4242 4242", email=email)
            assert paid.status_code == 303, paid.text
            session_id = hosted.rsplit("/", 1)[-1]

            async def thanked() -> bool:
                page = await buyer.success(session_id)
                return "Thank you: payment received" in page.text

            await eventually(thanked, within=20)

            async def webhook_delivered() -> bool:
                return '"POST /webhooks/stripe HTTP/1.1\\" 200' in log.read_text()

            await eventually(webhook_delivered, within=30)  # from the mounted sandbox
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    text = log.read_text()
    lines = [json.loads(line) for line in text.splitlines() if line.strip()]
    assert lines and all(list(line)[:6] == KEYS for line in lines), text[:2000]
    assert any(line["level"] == "DEBUG" for line in lines)
    assert any(line["request_id"] == request_id for line in lines), "the Buy's lines carry its id"
    assert any(isinstance(line["order_id"], int) for line in lines), "some lines name the order"
    sandbox = mounted_settings(
        secret_key=env["SECRET_KEY"], public_url=env["PUBLIC_URL"], webhook_url=env["PUBLIC_URL"],
        webhook_secret=webhook_secret, database_url=None, sqlite_path=Path("unused"),
    )  # fmt: skip
    for secret in (email, CARD, "4242 4242 4242 4242", sandbox.api_key, webhook_secret,
                   env["SECRET_KEY"]):  # fmt: skip
        assert secret not in text, f"the log carries {secret[:10]}…"
    assert email.replace("@", "%40") not in text
