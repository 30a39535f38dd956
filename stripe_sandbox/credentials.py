"""A standalone sandbox's own API key and webhook secret: made at its first start, then kept."""

from __future__ import annotations

import secrets
from collections.abc import Mapping

from stripe_sandbox.database import bind, build_engine
from stripe_sandbox.settings import SandboxDatabase, SandboxKeys, SandboxSettings
from stripe_sandbox.tables import SandboxCredentials

_ROW = "standalone"
# 192 random bits each: a key nobody can guess is all that stands between a stranger and it.
_RANDOM_BYTES = 24


def new_keys() -> SandboxKeys:
    return SandboxKeys(
        api_key="sk_test_" + secrets.token_hex(_RANDOM_BYTES),
        webhook_secret="whsec_" + secrets.token_hex(_RANDOM_BYTES),
    )


async def stored_keys(database: SandboxDatabase) -> tuple[SandboxKeys, bool]:
    """The pair kept in the database, and whether this call made it.

    Insert-or-nothing on a unique name, then read: however many starts race, one pair wins and
    all of them (and every later start) use it.
    """
    bind(build_engine(database))
    made = new_keys()
    row = SandboxCredentials(name=_ROW, api_key=made.api_key, webhook_secret=made.webhook_secret)
    inserted = (
        await SandboxCredentials.insert(row)
        .on_conflict(target=SandboxCredentials.name, action="DO NOTHING")
        .returning(SandboxCredentials.id)
    )
    kept = (
        await SandboxCredentials.select(
            SandboxCredentials.api_key, SandboxCredentials.webhook_secret
        )
        .where(SandboxCredentials.name == _ROW)
        .first()
    )
    if kept is None:
        raise RuntimeError("the sandbox's credentials row vanished as it was read")
    return SandboxKeys(kept["api_key"], kept["webhook_secret"]), bool(inserted)


def announcement(settings: SandboxSettings, env: Mapping[str, str]) -> str:
    """What the operator needs to point a store at this sandbox (given keys stay unprinted)."""
    key = "$SANDBOX_API_KEY" if env.get("SANDBOX_API_KEY") else settings.api_key
    secret = (
        "$SANDBOX_WEBHOOK_SECRET" if env.get("SANDBOX_WEBHOOK_SECRET") else settings.webhook_secret
    )
    lines = [
        "Stripe sandbox: its API key and webhook secret, kept in its database. For the store:",
        f"  export STRIPE_API_BASE={settings.public_url}",
        f"  export STRIPE_SECRET_KEY={key}",
        f"  export STRIPE_WEBHOOK_SECRET={secret}",
    ]
    if settings.webhook_url is None:
        lines.append(
            "Its webhooks go nowhere until SANDBOX_WEBHOOK_URL names the store's endpoint."
        )
    lines.append(f"Shown {_AGAIN}; SANDBOX_API_KEY / SANDBOX_WEBHOOK_SECRET choose them instead.")
    return "\n".join(lines)


_AGAIN = "once: `python -m stripe_sandbox keys` shows them again"
REMINDER = f"Stripe sandbox: using the API key and webhook secret in its database (shown {_AGAIN})."
