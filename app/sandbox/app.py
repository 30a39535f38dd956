"""Mounting the sandbox: a Router inside the store, or a Litestar app of its own."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import MutableScopeHeaders
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from litestar.types import Message, Scope
from piccolo.engine.postgres import PostgresEngine

from app.money import format_money
from app.sandbox.api import API_HANDLERS, http_error
from app.sandbox.config import MOUNT_PATH, SandboxConfig
from app.sandbox.control import CONTROL_HANDLERS
from app.sandbox.hosted import HOSTED_HANDLERS
from app.sandbox.runtime import Sandbox
from app.sandbox.tables import SandboxSession
from app.security import content_security_policy
from app.settings import PROJECT_ROOT


def sandbox_router(sandbox: Sandbox, *, path: str = MOUNT_PATH, testing: bool = False) -> Router:
    """The API and the hosted page under `path`; the caller runs `sandbox.lifespan` beside it."""

    def provide() -> Sandbox:
        return sandbox

    api = Router(
        path="/", route_handlers=API_HANDLERS, exception_handlers={HTTPException: http_error}
    )
    handlers: list[Any] = [api, *HOSTED_HANDLERS]
    if testing:
        handlers.extend(CONTROL_HANDLERS)
    return Router(
        path=path,
        route_handlers=handlers,
        dependencies={"sandbox": Provide(provide, sync_to_thread=False)},
    )


def create_sandbox_app(config: SandboxConfig | None = None, *, testing: bool = False) -> Litestar:
    """The sandbox alone, served at the root: `python -m app.sandbox --port N`."""
    sandbox = Sandbox.start(config or SandboxConfig.from_env())

    @asynccontextmanager
    async def database(app: Litestar) -> AsyncIterator[None]:
        engine = SandboxSession._meta.db
        if isinstance(engine, PostgresEngine):
            await engine.start_connection_pool(min_size=1, max_size=10)
        try:
            yield
        finally:
            if isinstance(engine, PostgresEngine):
                await engine.close_connection_pool()

    return Litestar(
        route_handlers=[
            sandbox_router(sandbox, path="/", testing=testing),
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"]),
        ],
        template_config=TemplateConfig(
            directory=PROJECT_ROOT / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_jinja,
        ),
        csrf_config=CSRFConfig(
            secret=sandbox.config.csrf_secret,
            # Cookies ignore ports: beside a store on the same host, "csrftoken" would clash.
            cookie_name="sandbox_csrftoken",
            cookie_httponly=True,
            cookie_secure=sandbox.config.public_url.startswith("https://"),
            cookie_samesite="lax",
        ),
        before_send=[_headers],
        lifespan=[database, sandbox.lifespan],
        request_max_body_size=256 * 1024,
        logging_config=LoggingConfig(log_exceptions="never", disable_stack_trace={404, 405}),
        openapi_config=None,
        debug=False,
    )


def _jinja(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["money"] = format_money


_DEFAULT_CSP = content_security_policy()
_FIXED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}


async def _headers(message: Message, scope: Scope) -> None:
    """Like the store's headers, but a page's own CSP (naming the shop's origins) is kept."""
    if message["type"] != "http.response.start":
        return
    headers = MutableScopeHeaders.from_message(message)
    for name, value in _FIXED.items():
        headers[name] = value
    if "content-security-policy" not in headers:
        headers["content-security-policy"] = _DEFAULT_CSP
    if "text/html" in headers.get("content-type", "") and "cache-control" not in headers:
        headers["cache-control"] = "no-store"
