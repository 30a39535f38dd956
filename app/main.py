"""The one wiring point: routes, templates, static files, CSRF, headers and the database."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from piccolo.engine.postgres import PostgresEngine

from app.catalog.routes import shop, update_cart
from app.catalog.service import seed_products
from app.catalog.tables import Product
from app.errors import http_exception_handler, server_error_handler
from app.health import healthz
from app.money import format_money
from app.security import content_security_policy, security_headers
from app.settings import PROJECT_ROOT, Settings, get_settings
from app.visitor import VisitorMiddleware, current_visitor


@asynccontextmanager
async def database(app: Litestar) -> AsyncIterator[None]:
    engine = Product._meta.db
    if isinstance(engine, PostgresEngine):
        await engine.start_connection_pool(min_size=2, max_size=10)
    try:
        await seed_products()
        yield
    finally:
        if isinstance(engine, PostgresEngine):
            await engine.close_connection_pool()


def _jinja(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["money"] = format_money


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    return Litestar(
        route_handlers=[
            shop,
            update_cart,
            healthz,
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"]),
        ],
        dependencies={"visitor_id": Provide(current_visitor, sync_to_thread=False)},
        template_config=TemplateConfig(
            directory=PROJECT_ROOT / "templates", engine=JinjaTemplateEngine, engine_callback=_jinja
        ),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            cookie_httponly=True,
            cookie_secure=settings.https,
            cookie_samesite="lax",
        ),
        middleware=[VisitorMiddleware(settings.secret_key, secure=settings.https)],
        before_send=[security_headers(content_security_policy())],
        exception_handlers={HTTPException: http_exception_handler, Exception: server_error_handler},
        lifespan=[database],
        request_max_body_size=64 * 1024,
        logging_config=LoggingConfig(log_exceptions="never", disable_stack_trace={404, 405}),
        openapi_config=None,
        debug=settings.debug,
    )
