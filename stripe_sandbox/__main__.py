"""`python -m stripe_sandbox [serve|migrate|keys] [--port N]`: serve it, or do one step only."""

from __future__ import annotations

import argparse
import asyncio
import os

import uvicorn
from piccolo.apps.migrations.commands.forwards import run_forwards

from stripe_sandbox.credentials import REMINDER, announcement, stored_keys
from stripe_sandbox.plugin import create_sandbox_app
from stripe_sandbox.settings import (
    STANDALONE_PORT,
    SandboxSettings,
    SandboxSettingsError,
    load_sandbox_database,
    load_sandbox_settings,
)


def migrate() -> None:
    """The sandbox's migrations, forwards, on the database its SANDBOX_* settings name."""
    # Piccolo's runner finds its engine and apps only through the module PICCOLO_CONF names.
    # Set here, in this command's own process, it cannot send a store's migrations (or a
    # store's database) anywhere; running in-process also spares a second interpreter start.
    os.environ["PICCOLO_CONF"] = "stripe_sandbox.piccolo_conf"
    result = asyncio.run(run_forwards(app_name="sandbox"))
    if not result.success:
        raise SystemExit(f"stripe_sandbox migrations failed: {result.message}")


def keyed_settings(command: str, port: int) -> SandboxSettings:
    """Settings with the keys the environment gives, else the ones kept in the database."""
    env = os.environ
    if command == "serve" and env.get("SANDBOX_API_KEY") and env.get("SANDBOX_WEBHOOK_SECRET"):
        return load_sandbox_settings(env, port=port)
    keys, created = asyncio.run(stored_keys(load_sandbox_database(env)))
    settings = load_sandbox_settings(env, port=port, stored=keys)
    # Shown by the one start that made them (or on request), never again in a log.
    print(announcement(settings, env) if created or command == "keys" else REMINDER, flush=True)
    return settings


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m stripe_sandbox", description=__doc__)
    parser.add_argument("command", nargs="?", choices=["serve", "migrate", "keys"], default="serve")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=STANDALONE_PORT)
    args = parser.parse_args()
    try:
        load_sandbox_database(os.environ)
        # One command from a fresh clone: the sandbox's own tables are created if missing.
        migrate()
        if args.command == "migrate":
            return
        settings = keyed_settings(args.command, args.port)
        if args.command == "serve":
            app = create_sandbox_app(settings)
            uvicorn.run(app, host=args.host, port=args.port, log_level="warning")
    except SandboxSettingsError as error:
        raise SystemExit(str(error)) from None


if __name__ == "__main__":
    main()
