"""Statements per request: a loopback proxy to PostgreSQL that counts what clients send.

pg_stat_statements needs a server restart here, so a store started through this proxy is
counted instead: every simple Query message counts its statements (asyncpg's pool reset sends
four in one), every extended-protocol Execute counts one. Never used while timing anything.
"""

from __future__ import annotations

import asyncio
import threading
from urllib.parse import urlsplit, urlunsplit

from bench.procs import free_port


class CountingProxy:
    def __init__(self, url: str) -> None:
        parts = urlsplit(url)
        self._upstream = (parts.hostname or "127.0.0.1", parts.port or 5432)
        self.port = free_port()
        user, at, _ = parts.netloc.rpartition("@")
        netloc = f"{user}{at}127.0.0.1:{self.port}"
        # Plain text, or there is nothing to count.
        self.url = urlunsplit(parts._replace(netloc=netloc, query="sslmode=disable"))
        self.statements = 0
        self.round_trips = 0  # Query messages and Syncs: what waits on the server
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()
        self._ready.wait(10)

    def reset(self) -> tuple[int, int]:
        counts = self.statements, self.round_trips
        self.statements = self.round_trips = 0
        return counts

    def _serve(self) -> None:
        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(asyncio.start_server(self._client, "127.0.0.1", self.port))
        self._ready.set()
        self._loop.run_forever()  # a daemon thread: it ends with the run

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection(*self._upstream)
        back = asyncio.ensure_future(_pipe(up_reader, writer))
        try:
            # The startup message has no type byte.
            size = int.from_bytes(head := await reader.readexactly(4), "big")
            up_writer.write(head + await reader.readexactly(size - 4))
            while True:
                kind = await reader.readexactly(1)
                head = await reader.readexactly(4)
                body = await reader.readexactly(int.from_bytes(head, "big") - 4)
                if kind == b"Q":
                    text = body.rstrip(b"\0").decode(errors="replace")
                    self.statements += max(1, sum(1 for s in text.split(";") if s.strip()))
                    self.round_trips += 1
                elif kind == b"E":
                    self.statements += 1
                elif kind == b"S":
                    self.round_trips += 1
                up_writer.write(kind + head + body)
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            up_writer.close()
            back.cancel()
            writer.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        writer.close()
