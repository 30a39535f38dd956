"""What importing and serving load: no side effects at import, the sandbox only when mounted."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tests.support.http import ROOT

# Served pages and a cart update, as a worker does, then the modules that process holds. It
# imports nothing a worker would not: tests.support would bring pytest.
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

# Every module of the store and the sandbox, and Piccolo's config, imported in one process.
IMPORT_ALL = """
import importlib, pkgutil
import app, stripe_sandbox
names = ["piccolo_conf"]
for package in (app, stripe_sandbox):
    for module in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
        if not module.name.endswith("__main__") and ".piccolo_migrations" not in module.name:
            names.append(module.name)
for name in names:
    importlib.import_module(name)
print(len(names))
"""


def _serve(env: dict[str, str]) -> tuple[list[int], set[str]]:
    done = subprocess.run(
        [sys.executable, "-c", SERVE], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout.splitlines()[-1])
    return found["statuses"], set(found["modules"])


def test_a_store_with_stripe_keys_never_loads_the_sandbox(test_env: dict[str, str]) -> None:
    keys = {"STRIPE_SECRET_KEY": "sk_test_imports", "STRIPE_API_BASE": "http://127.0.0.1:9"}
    statuses, modules = _serve({**test_env, **keys})

    assert statuses == [200, 200]
    assert {"app.main", "app.payments.gateway", "stripe"} <= modules
    assert sorted(m for m in modules if m.startswith("stripe_sandbox")) == []


def test_without_stripe_keys_the_store_mounts_the_sandbox(test_env: dict[str, str]) -> None:
    statuses, modules = _serve(test_env)

    assert statuses == [200, 200]
    assert "stripe_sandbox" in modules


def test_importing_any_module_writes_nothing_and_raises_nothing(
    test_env: dict[str, str], tmp_path: Path
) -> None:
    # Settings that would refuse to start (https, no key) and files that would be made.
    env = {
        **{k: v for k, v in test_env.items() if k not in {"SECRET_KEY", "DATABASE_URL"}},
        "PUBLIC_URL": "https://shop.example",
        "SECRET_KEY_FILE": str(tmp_path / "secret_key"),
        "SQLITE_PATH": str(tmp_path / "shop.sqlite3"),
        "SANDBOX_SQLITE_PATH": str(tmp_path / "sandbox.sqlite3"),
    }
    before = sorted(p.name for p in ROOT.iterdir())
    done = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL], cwd=ROOT, env=env, capture_output=True, text=True
    )

    assert done.returncode == 0, done.stderr
    assert int(done.stdout.split()[-1]) > 30
    assert list(tmp_path.iterdir()) == []
    assert sorted(p.name for p in ROOT.iterdir()) == before
