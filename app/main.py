"""The one wiring point: routes, templates, static files, CSRF, headers and the database."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass
from urllib.parse import urlsplit

from litestar import Litestar, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.logging import LoggingConfig
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig
from piccolo.engine.postgres import PostgresEngine
from piccolo.engine.sqlite import SQLiteEngine

from app.catalog.routes import shop, update_cart
from app.catalog.service import seed_products
from app.catalog.tables import Product
from app.cli import StoreCommands
from app.errors import http_exception_handler, server_error_handler
from app.health import healthz
from app.money import format_money
from app.orders.routes import checkout, checkout_cancel, checkout_success, my_orders, stripe_webhook
from app.orders.service import CheckoutUrls, mint_checkout_token
from app.payments.gateway import GatewayConfig, PaymentGateway
from app.security import content_security_policy, security_headers
from app.settings import PROJECT_ROOT, Settings, get_settings
from app.visitor import VisitorMiddleware, current_visitor


@asynccontextmanager
async def database(app: Litestar) -> AsyncIterator[None]:
    engine = Product._meta.db
    # The engine is process-wide: close only a pool this app started.
    pooled = engine if isinstance(engine, PostgresEngine) and engine.pool is None else None
    if pooled:
        await pooled.start_connection_pool(min_size=2, max_size=10)
    if isinstance(engine, SQLiteEngine):
        # Write-ahead logging: readers never block the writer, so a burst of page views cannot
        # starve a checkout into "database is locked". Kept in the file, for every process.
        await Product.raw("PRAGMA journal_mode=WAL")
    try:
        await seed_products()
        yield
    finally:
        if pooled:
            await pooled.close_connection_pool()


def _jinja(engine: JinjaTemplateEngine) -> None:
    engine.engine.filters["money"] = format_money
    engine.engine.globals["new_checkout_token"] = mint_checkout_token


@dataclass(frozen=True)
class PaymentWiring:
    config: GatewayConfig
    routes: Sequence[Router] = ()
    lifespans: Sequence[Callable[[Litestar], AbstractAsyncContextManager[None]]] = ()


def payment_wiring(settings: Settings) -> PaymentWiring:
    """Real Stripe when STRIPE_SECRET_KEY is set; otherwise the sandbox mounted in this process."""
    if settings.stripe_secret_key:
        return PaymentWiring(
            GatewayConfig(
                api_key=settings.stripe_secret_key,
                webhook_secret=settings.stripe_webhook_secret,
                api_base=settings.stripe_api_base,
                timeout_seconds=settings.stripe_timeout_seconds,
            )
        )
    # Imported here so that a store with real keys never loads the sandbox (1 MB a worker).
    from app.sandbox import Sandbox, SandboxConfig, api_base_for, sandbox_router

    config = SandboxConfig.from_settings(settings)
    sandbox = Sandbox.start(config)
    return PaymentWiring(
        GatewayConfig(
            api_key=config.api_key,
            webhook_secret=settings.stripe_webhook_secret or config.webhook_secret,
            # The gateway reaches the mounted sandbox over loopback, like any Stripe client.
            api_base=settings.stripe_api_base or api_base_for(settings),
            timeout_seconds=settings.stripe_timeout_seconds,
        ),
        routes=[sandbox_router(sandbox)],
        lifespans=[sandbox.lifespan],
    )


def checkout_origins(settings: Settings) -> list[str]:
    """Where a plain (no-JavaScript) Buy may be redirected: CSP form-action covers redirects."""
    origins = ["https://checkout.stripe.com"] if settings.stripe_secret_key else []
    if settings.stripe_api_base:
        parts = urlsplit(settings.stripe_api_base)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def checkout_urls(settings: Settings) -> CheckoutUrls:
    return CheckoutUrls(
        success=f"{settings.public_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel=f"{settings.public_url}/checkout/cancel?session_id={{CHECKOUT_SESSION_ID}}",
    )


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    payment = payment_wiring(settings)
    gateway = PaymentGateway(payment.config)
    urls = checkout_urls(settings)
    return Litestar(
        route_handlers=[
            shop,
            update_cart,
            checkout,
            checkout_success,
            checkout_cancel,
            my_orders,
            stripe_webhook,
            healthz,
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"]),
            *payment.routes,
        ],
        dependencies={
            "visitor_id": Provide(current_visitor, sync_to_thread=False),
            "gateway": Provide(lambda: gateway, use_cache=True, sync_to_thread=False),
            "checkout_urls": Provide(lambda: urls, use_cache=True, sync_to_thread=False),
        },
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
        before_send=[security_headers(content_security_policy(checkout_origins(settings)))],
        exception_handlers={HTTPException: http_exception_handler, Exception: server_error_handler},
        lifespan=[database, *payment.lifespans],
        on_shutdown=[gateway.close],
        state=State({"gateway": gateway}),
        plugins=[StoreCommands()],
        request_max_body_size=64 * 1024,
        logging_config=LoggingConfig(
            log_exceptions="never",
            disable_stack_trace={404, 405},
            # One line per Stripe request at INFO is noise; failures are logged by the gateway.
            loggers={"httpx": {"level": "WARNING"}, "stripe": {"level": "WARNING"}},
        ),
        openapi_config=None,
        debug=settings.debug,
    )
