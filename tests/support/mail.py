"""A real SMTP server in this process (aiosmtpd): what arrived, and how it should misbehave."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from tests.support.http import free_port


@dataclass
class Arrived:
    rcpt_tos: list[str]
    message: EmailMessage

    @property
    def text(self) -> str:
        part = self.message.get_body(preferencelist=("plain",))
        assert part is not None
        return str(part.get_content())

    @property
    def html(self) -> str:
        part = self.message.get_body(preferencelist=("html",))
        assert part is not None
        return str(part.get_content())


@dataclass
class Sink:
    """The handler: keeps each message; `replies` (e.g. ["451 busy"]) are answered first."""

    port: int
    arrived: list[Arrived] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    delays: list[float] = field(default_factory=list)  # seconds to stall before answering
    stalled: int = 0  # how many answers were stalled so far
    controller: Controller | None = None

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.delays:
            self.stalled += 1
            await asyncio.sleep(self.delays.pop(0))
        if self.replies:
            return self.replies.pop(0)
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.arrived.append(Arrived(list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    def to(self, address: str) -> list[Arrived]:
        return [item for item in self.arrived if address in item.rcpt_tos]

    async def wait_for(self, count: int, address: str | None = None, seconds: float = 10) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            got = self.to(address) if address else self.arrived
            if len(got) >= count:
                return
            await asyncio.sleep(0.05)
        raise AssertionError(f"{len(self.arrived)} messages arrived, waited for {count}")


@pytest.fixture(scope="session")
def smtp_sink() -> Iterator[Sink]:
    sink = Sink(free_port())
    sink.start()
    yield sink
    sink.stop()


@pytest.fixture
def mailbox(smtp_sink: Sink) -> Iterator[Sink]:
    """The run's SMTP server, emptied and well-behaved for this test (and started again)."""
    smtp_sink.arrived.clear()
    smtp_sink.replies.clear()
    smtp_sink.delays.clear()
    smtp_sink.stalled = 0
    if smtp_sink.controller is None:
        smtp_sink.start()
    yield smtp_sink
    smtp_sink.replies.clear()
    smtp_sink.delays.clear()
    if smtp_sink.controller is None:
        smtp_sink.start()
