"""The image serves as `make serve` does: the same server line, options and all."""

from __future__ import annotations

import re

import pytest

from tests.support.http import ROOT

# What each file writes for the same thing: where to listen, and how many workers.
SAME = {
    "$(BIN)/": "",
    "$${HOST:-127.0.0.1}": "HOST",
    '"$HOST"': "HOST",
    "$${PORT:-8000}": "PORT",
    '"$PORT"': "PORT",
    "$(WORKERS)": "WORKERS",
    '"$WEB_CONCURRENCY"': "WORKERS",
}


def server_line(text: str, server: str) -> list[str]:
    """The words of the command starting `server`, across its continuation lines."""
    start = re.search(rf"^\s*(exec )?(\$\(BIN\)/)?{server} ", text, re.MULTILINE)
    assert start, f"no {server} line"
    words = []
    for line in text[start.start() :].splitlines():
        words += line.rstrip("\\").split()
        if not line.endswith("\\"):
            break
    for written, meaning in SAME.items():
        words = [word.replace(written, meaning) for word in words]
    return [word for word in words if word != "exec"]


@pytest.mark.parametrize("server", ["uvicorn", "granian"])
def test_the_image_runs_the_server_line_of_make_serve(server: str) -> None:
    makefile = (ROOT / "Makefile").read_text()
    entrypoint = (ROOT / "deploy" / "entrypoint").read_text()
    line = server_line(makefile, server)
    assert "app.main:create_app" in line and "WORKERS" in line
    assert server_line(entrypoint, server) == line
