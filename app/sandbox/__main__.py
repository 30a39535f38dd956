"""`python -m app.sandbox --port N`: the sandbox alone, configured by SANDBOX_* variables."""

from __future__ import annotations

import argparse
import asyncio

import uvicorn
from piccolo.apps.migrations.commands.forwards import run_forwards

from app.sandbox.app import create_sandbox_app
from app.sandbox.config import STANDALONE_PORT, SandboxConfig


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m app.sandbox", description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=STANDALONE_PORT)
    args = parser.parse_args()
    # One command from a fresh clone: the sandbox's own tables are created if missing.
    result = asyncio.run(run_forwards(app_name="sandbox"))
    if not result.success:
        raise SystemExit(f"sandbox migrations failed: {result.message}")
    app = create_sandbox_app(SandboxConfig.from_env(port=args.port))
    uvicorn.run(app, host=args.host, port=args.port, log_level="warning")


if __name__ == "__main__":
    main()
