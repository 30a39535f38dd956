"""Security headers, error pages, the visitor cookie and the health check, as browsers see them."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator

import httpx
import pytest
from litestar import Litestar, get
from piccolo.engine.sqlite import SQLiteEngine

import app.db
from app.main import create_app
from app.settings import Settings, load_settings
from app.visitor import COOKIE_NAME
from tests.support.http import HTMX, browser_like

# The shop page is read, never written: GET, and the OPTIONS Litestar answers on every path.
ALLOWED_ON_THE_SHOP = {"GET", "OPTIONS"}


def assert_secure_headers(response: httpx.Response) -> None:
    csp = response.headers["content-security-policy"]
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "same-origin"


async def test_pages_carry_the_security_headers(store_client: httpx.AsyncClient) -> None:
    page = await store_client.get("/")
    assert_secure_headers(page)
    assert page.headers["cache-control"] == "no-store"
    assert_secure_headers(await store_client.get("/static/css/shop.css"))


@pytest.mark.parametrize(
    ("method", "path", "status", "words"),
    [
        ("GET", "/no/such/page", 404, "Page not found"),
        ("DELETE", "/", 405, "Not allowed"),
        ("PUT", "/cart", 405, "Not allowed"),
        ("POST", "/cart", 403, "expired"),
    ],
)
async def test_errors_are_pages_of_the_site(
    store_client: httpx.AsyncClient, method: str, path: str, status: int, words: str
) -> None:
    response = await store_client.request(method, path)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<html" in response.text and words in response.text
    assert "Corner Roastery" in response.text
    assert "Traceback" not in response.text and "litestar" not in response.text.lower()
    assert_secure_headers(response)


async def test_405_says_which_methods_are_allowed(store_client: httpx.AsyncClient) -> None:
    response = await store_client.delete("/")
    assert response.status_code == 405
    assert set(response.headers["allow"].replace(" ", "").split(",")) == ALLOWED_ON_THE_SHOP


async def test_a_body_over_the_limit_is_refused(
    store_client: httpx.AsyncClient, shop_csrf: str
) -> None:
    body = {"_csrf_token": shop_csrf, "qty-mug-350": "1", "padding": "x" * 100_000}
    response = await store_client.post("/cart", data=body)
    assert response.status_code == 413
    assert "larger than this shop accepts" in response.text


async def test_an_htmx_error_goes_to_the_alert_region(store_client: httpx.AsyncClient) -> None:
    await store_client.get("/")
    response = await store_client.post("/cart", data={"qty-mug-350": "1"}, headers=HTMX)
    assert response.status_code == 403
    assert response.headers["hx-retarget"] == "#flash"
    assert response.text.lstrip().startswith('<div id="flash"')


@pytest.fixture
async def crashing_app(settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
    secret = settings.secret_key

    @get("/crash", sync_to_thread=False)
    def crash() -> str:
        raise RuntimeError(f"database password is {secret}")

    app: Litestar = create_app(settings)
    app.register(crash)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        yield http


async def test_a_crash_is_a_plain_500_page_without_internals(
    crashing_app: httpx.AsyncClient, settings: Settings
) -> None:
    response = await crashing_app.get("/crash")
    assert response.status_code == 500
    assert "Something went wrong on our side" in response.text
    assert settings.secret_key not in response.text
    assert "RuntimeError" not in response.text and "Traceback" not in response.text
    assert_secure_headers(response)


async def test_the_visitor_cookie_is_random_httponly_and_lax(
    store_client: httpx.AsyncClient, store_app: Litestar, settings: Settings
) -> None:
    response = await store_client.get("/")
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(COOKIE_NAME))
    attributes = {part.strip().lower() for part in header.split(";")}
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "secure" not in attributes  # PUBLIC_URL is http in tests
    visitor_id = store_client.cookies[COOKIE_NAME].split(".")[0]
    assert len(visitor_id) == 24  # 18 random bytes, base64url: 144 bits
    assert re.fullmatch(r"[A-Za-z0-9_-]{24}", visitor_id)
    # Random: other new visitors get other ids.
    others = set()
    for _ in range(5):
        async with browser_like(store_app, settings.public_url) as other:
            await other.get("/")
            others.add(other.cookies[COOKIE_NAME].split(".")[0])
    assert len(others | {visitor_id}) == 6


async def test_the_visitor_cookie_is_secure_under_https(test_env: dict[str, str]) -> None:
    public = {"PUBLIC_URL": "https://shop.example", "STRIPE_SANDBOX": "on"}
    transport = httpx.ASGITransport(app=create_app(load_settings({**test_env, **public})))
    async with httpx.AsyncClient(transport=transport, base_url="https://shop.example") as http:
        response = await http.get("/")
    cookies = response.headers.get_list("set-cookie")
    # The __Host- prefix: browsers take such a cookie only Secure, with Path=/ and no Domain.
    for name in ("__Host-visitor=", "__Host-csrftoken="):
        [cookie] = [c for c in cookies if c.startswith(name)]
        flags = {part.strip().lower() for part in cookie.split(";")[1:]}
        assert {"secure", "path=/"} <= flags and not any(f.startswith("domain") for f in flags)
    assert not any(c.startswith(("visitor=", "csrftoken=")) for c in cookies)


async def test_the_visitor_is_stable_across_requests_and_restarts(
    store_client: httpx.AsyncClient, test_env: dict[str, str]
) -> None:
    await store_client.get("/")
    cookie = store_client.cookies[COOKIE_NAME]
    again = await store_client.get("/")
    assert COOKIE_NAME not in again.headers.get("set-cookie", "")
    # Another app instance (a restart, or another worker) with the same SECRET_KEY agrees.
    transport = httpx.ASGITransport(app=create_app(load_settings(test_env)))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as other:
        other.cookies.set(COOKIE_NAME, cookie)
        response = await other.get("/")
    assert COOKIE_NAME not in response.headers.get("set-cookie", "")


@pytest.mark.parametrize("forged", ["admin", "x" * 24 + ".bad", "", "a.b.c"])
async def test_a_forged_visitor_cookie_is_replaced(
    store_client: httpx.AsyncClient, forged: str
) -> None:
    store_client.cookies.set(COOKIE_NAME, forged)
    response = await store_client.get("/")
    assert response.status_code == 200
    new = response.cookies.get(COOKIE_NAME)
    assert new and new != forged and new.split(".")[0] != forged.split(".")[0]


async def test_health_and_readiness_answer_while_the_database_does(
    store_client: httpx.AsyncClient,
) -> None:
    response = await store_client.get("/healthz")
    assert (response.status_code, response.text) == (200, "ok")
    response = await store_client.get("/readyz")
    assert (response.status_code, response.text) == (200, "ready")


async def test_readiness_is_503_and_health_200_when_the_database_does_not_answer(
    store_client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(app.db, "_bound", [SQLiteEngine(path="/nonexistent/dir/shop.sqlite3")])
    response = await store_client.get("/readyz")
    assert (response.status_code, response.text) == (503, "not ready: database unavailable")
    # Liveness asks nothing of the database: restarting the worker would not bring it back.
    assert (await store_client.get("/healthz")).status_code == 200


@pytest.mark.parametrize("debug", ["0", "1"])
def test_templates_are_re_read_when_edited_only_in_debug(
    test_env: dict[str, str], debug: str
) -> None:
    """Jinja's auto_reload stats a template's file on every lookup (every include): DEBUG only."""
    app = create_app(load_settings({**test_env, "DEBUG": debug}))
    environment = app.template_engine.engine
    assert environment.auto_reload is (debug == "1")
    # The helpers the templates call are on this environment too.
    assert {"money", "amount"} <= set(environment.filters)
    assert {"new_checkout_token", "csrf_token", "live"} <= set(environment.globals)
