"""Serving the sandbox: a plugin that mounts it in a host app, or a Litestar app of its own."""

from __future__ import annotations

from typing import Any

from litestar import Litestar, Router
from litestar.config.app import AppConfig
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.plugins import InitPlugin
from litestar.static_files import create_static_files_router

from stripe_sandbox.api import api_handlers, http_error
from stripe_sandbox.control import CONTROL_HANDLERS
from stripe_sandbox.headers import sandbox_headers
from stripe_sandbox.hosted import hosted_router
from stripe_sandbox.pages import STATIC, STATIC_ROUTE
from stripe_sandbox.runtime import Sandbox
from stripe_sandbox.settings import MOUNT_PATH, SandboxSettings


class SandboxPlugin(InitPlugin):
    """Adds the API, the hosted page and its stylesheet under `path`, and the sandbox's lifespan.

    Creating it builds the sandbox's engine and binds the sandbox's tables to it; the lifespan
    connects, checks the tables exist and runs the background loop.
    """

    def __init__(
        self, settings: SandboxSettings, *, path: str = MOUNT_PATH, testing: bool = False
    ) -> None:
        self.sandbox = Sandbox.start(settings)
        self._path = path
        self._testing = testing

    def on_app_init(self, app_config: AppConfig) -> AppConfig:
        app_config.route_handlers.append(self._router())
        app_config.lifespan.append(self.sandbox.lifespan)
        prefix = "/" if self._path == "/" else self._path.rstrip("/") + "/"
        app_config.before_send.append(sandbox_headers(prefix))
        return app_config

    def _router(self) -> Router:
        sandbox = self.sandbox

        def provide() -> Sandbox:
            return sandbox

        api = Router(
            path="/", route_handlers=api_handlers(), exception_handlers={HTTPException: http_error}
        )
        static = create_static_files_router(
            path="/static", directories=[STATIC], name=STATIC_ROUTE, include_in_schema=False
        )
        handlers: list[Any] = [api, hosted_router(sandbox.pages), static]
        if self._testing:
            handlers.extend(CONTROL_HANDLERS)
        return Router(
            path=self._path,
            route_handlers=handlers,
            dependencies={"sandbox": Provide(provide, sync_to_thread=False)},
        )


def create_sandbox_app(settings: SandboxSettings, *, testing: bool = False) -> Litestar:
    """The sandbox alone, served at the root: `python -m stripe_sandbox --port N`."""
    return Litestar(
        plugins=[SandboxPlugin(settings, path="/", testing=testing)],
        csrf_config=CSRFConfig(
            secret=settings.csrf_secret,
            # Cookies ignore ports: beside a store on the same host, "csrftoken" would clash.
            cookie_name="sandbox_csrftoken",
            cookie_httponly=True,
            cookie_secure=settings.public_url.startswith("https://"),
            cookie_samesite="lax",
        ),
        request_max_body_size=256 * 1024,
        logging_config=LoggingConfig(log_exceptions="never", disable_stack_trace={404, 405}),
        openapi_config=None,
        debug=False,
    )
