"""What a store process loads: libraries it never uses stay out (README "Memory")."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

# Served pages and a cart update, as a worker does, then the modules that process holds. It
# imports nothing a worker would not: conftest's csrf_token would bring pytest (and pygments).
SERVE = """
import json, re, sys
from app.main import create_app  # first, as in a worker: the server imports the app
from litestar.testing import TestClient

with TestClient(create_app()) as client:
    page = client.get("/")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text).group(1)
    cart = client.post(
        "/cart",
        data={"_csrf_token": token, "qty-beans-250": "2"},
        headers={"HX-Request": "true"},
    )
statuses = [page.status_code, cart.status_code]
print(json.dumps({"statuses": statuses, "modules": sorted(sys.modules)}))
"""
UNUSED = ("pydantic", "requests", "rich", "pygments")


def _serve(**env: str) -> tuple[list[int], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SERVE],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        check=True,
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return found["statuses"], set(found["modules"])


def test_a_store_with_stripe_keys_loads_no_unused_library_and_no_sandbox() -> None:
    statuses, modules = _serve(
        STRIPE_SECRET_KEY="sk_test_imports", STRIPE_API_BASE="http://127.0.0.1:9"
    )

    assert statuses == [200, 200]
    assert {"app.main", "app.payments.gateway", "stripe", "httpx"} <= modules
    assert sorted(m for m in modules if m.split(".")[0] in UNUSED) == []
    assert "httpx._main" not in modules
    assert sorted(m for m in modules if m.startswith("app.sandbox")) == []


def test_without_stripe_keys_the_sandbox_is_loaded_and_the_unused_libraries_still_are_not() -> None:
    statuses, modules = _serve()

    assert statuses == [200, 200]
    assert "app.sandbox" in modules
    assert sorted(m for m in modules if m.split(".")[0] in UNUSED) == []


def test_importing_a_kept_out_library_says_why_it_is_missing() -> None:
    done = subprocess.run(
        [sys.executable, "-c", "import app, pydantic"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 1
    assert "ModuleNotFoundError: pydantic is kept out of the store (app/__init__.py)" in done.stderr
