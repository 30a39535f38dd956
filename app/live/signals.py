"""Open streams end the moment the server is told to stop, not after it has waited for them."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


@contextlib.contextmanager
def on_stop_signal(stop: Callable[[], None]) -> Iterator[None]:
    """Calls `stop` on the event loop at SIGTERM/SIGINT, then the server's own handler.

    uvicorn handles the signal by closing its socket, waiting for open connections (for ever
    under `python -m app`, `--timeout-graceful-shutdown` under `make serve`) and only then
    running the lifespan's shutdown: a stream told to end there has already held the restart
    up, or been cut with a traceback. Chained in front of uvicorn's handler (which it installs
    with signal.signal, before the lifespan starts), streams end at once and uvicorn goes on
    as it would. Signals are only ever delivered to the main thread: elsewhere (a test client)
    this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    loop = asyncio.get_running_loop()
    previous: dict[int, Any] = {}

    def handle(signum: int, frame: FrameType | None) -> None:
        loop.call_soon_threadsafe(stop)  # never touch the loop's state from a signal handler
        chained = previous[signum]
        if callable(chained):
            chained(signum, frame)
        elif chained == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)  # what would have happened without us
            signal.raise_signal(signum)

    for signum in STOP_SIGNALS:
        previous[signum] = signal.getsignal(signum)
        signal.signal(signum, handle)
    try:
        yield
    finally:
        for stop_signal in STOP_SIGNALS:
            signal.signal(stop_signal, previous[stop_signal])
