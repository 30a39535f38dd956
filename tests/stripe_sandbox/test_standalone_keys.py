"""`python -m stripe_sandbox` without keys makes its own, keeps them, and shows them only once."""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx
import pytest
import stripe

from stripe_sandbox import SandboxSettingsError, load_sandbox_settings
from tests.stripe_sandbox.conftest import session_params
from tests.support.database import clean_environment, migrate
from tests.support.http import ROOT, free_port
from tests.support.stripe_sandbox import (
    Delivery,
    Receiver,
    eventually,
    make_client,
    own_database,
)

PUBLIC_KEY = "sk_test_sandbox"


@contextmanager
def _serving(env: dict[str, str], log: Path) -> Iterator[str]:
    """The command an operator runs, its output written to `log`, until the block ends."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with log.open("ab") as out:
        command = [sys.executable, "-m", "stripe_sandbox", "--port", str(port)]
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + 30
        while _status(url, PUBLIC_KEY) != 401:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "the sandbox did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def _status(url: str, key: str) -> int | None:
    try:
        headers = {"Authorization": f"Bearer {key}"}
        return httpx.get(f"{url}/v1/events", headers=headers, timeout=2).status_code
    except httpx.TransportError:
        return None


def _printed(text: str, name: str, prefix: str) -> list[str]:
    return re.findall(rf"{name}=({prefix}\w+)", text)


async def test_a_sandbox_without_keys_makes_its_own_and_every_start_agrees(
    receiver: Receiver, tmp_path: Path
) -> None:
    with own_database() as database:
        env = {
            **clean_environment(os.environ),
            **database,
            "SANDBOX_WEBHOOK_URL": f"{receiver.url}/webhook",
            "SANDBOX_TICK_SECONDS": "0.05",
        }
        migrate(env, "-m", "stripe_sandbox", "migrate")
        logs = [tmp_path / "first.log", tmp_path / "second.log"]
        # Two first starts on one fresh database at once: they race to make the pair.
        with ExitStack() as both:
            urls = [both.enter_context(_serving(env, log)) for log in logs]
            text = "".join(log.read_text() for log in logs)
            [key] = _printed(text, "STRIPE_SECRET_KEY", "sk_test_")
            [secret] = _printed(text, "STRIPE_WEBHOOK_SECRET", "whsec_")
            assert text.count(key) == 1 and text.count(secret) == 1
            assert len(key) >= len("sk_test_") + 32 and key != PUBLIC_KEY
            # The secret once derived from the public key would let anyone forge webhooks.
            derived = hmac.new(PUBLIC_KEY.encode(), b"wh", hashlib.sha256).hexdigest()[:32]
            assert secret != "whsec_" + derived
            for url in urls:
                assert _status(url, key) == 200
                assert _status(url, PUBLIC_KEY) == 401
            client = make_client(urls[1], key=key)
            session = await client.v1.checkout.sessions.create_async(session_params(receiver))
            await client.v1.checkout.sessions.expire_async(session.id)
            [delivery, *_] = await eventually(lambda: _delivered(receiver, session.id))
            event = stripe.Webhook.construct_event(
                delivery.body.decode(), delivery.signature, secret
            )
            assert event.data.object.id == session.id

        with _serving(env, tmp_path / "restart.log") as url:
            assert _status(url, key) == 200
        restart = (tmp_path / "restart.log").read_text()
        assert key not in restart and secret not in restart
        assert "python -m stripe_sandbox keys" in restart

        given = {
            **env,
            "SANDBOX_API_KEY": "sk_test_" + "g" * 32,
            "SANDBOX_WEBHOOK_SECRET": "whsec_g",
        }
        with _serving(given, tmp_path / "given.log") as url:
            assert _status(url, given["SANDBOX_API_KEY"]) == 200
            assert _status(url, key) == 401
        assert "sk_test_" not in (tmp_path / "given.log").read_text()


async def _delivered(receiver: Receiver, session_id: str) -> list[Delivery]:
    return [d for d in receiver.deliveries if session_id.encode() in d.body and d.status == 200]


def test_without_keys_or_stored_ones_the_settings_refuse_to_load() -> None:
    with pytest.raises(SandboxSettingsError, match="SANDBOX_API_KEY"):
        load_sandbox_settings({})
    with pytest.raises(SandboxSettingsError, match="SANDBOX_WEBHOOK_SECRET"):
        load_sandbox_settings({"SANDBOX_API_KEY": "sk_test_" + "x" * 32})
