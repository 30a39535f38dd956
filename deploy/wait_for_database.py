"""Wait a bounded time for the store's PostgreSQL (and the mounted sandbox's) to answer."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from urllib.parse import urlsplit

import asyncpg


def databases(env: dict[str, str]) -> list[str]:
    """The PostgreSQL URLs this container needs; SQLite files need no waiting."""
    urls = [env.get("DATABASE_URL", "")]
    if not env.get("STRIPE_SECRET_KEY"):
        urls.append(env.get("SANDBOX_DATABASE_URL", ""))
    return [url for url in urls if url]


def where(url: str) -> str:
    """host:port/name, never the user or password the URL may carry."""
    parts = urlsplit(url)
    return parts.netloc.rpartition("@")[2] + parts.path


async def refusal(url: str) -> str | None:
    """Why a connection to `url` failed, or None once one succeeded."""
    try:
        connection = await asyncpg.connect(url, timeout=5)
    except ValueError:
        # A URL asyncpg cannot read never becomes readable: say so now (without the URL).
        sys.exit(f"the database URL for {where(url)} is not a PostgreSQL URL asyncpg can read")
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as error:
        return type(error).__name__
    await connection.close()
    return None


def main() -> None:
    env = dict(os.environ)
    deadline = time.monotonic() + float(env.get("DATABASE_WAIT") or 30)
    for url in databases(env):
        while (why := asyncio.run(refusal(url))) is not None:
            if time.monotonic() > deadline:
                sys.exit(f"gave up waiting for the database at {where(url)}: {why}")
            print(f"waiting for the database at {where(url)} ({why})", file=sys.stderr)
            time.sleep(1)


if __name__ == "__main__":
    main()
