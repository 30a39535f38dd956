"""The one wiring point: routes, templates, static files, CSRF, headers and the database."""

from __future__ import annotations

from collections.abc import Callable

from jinja2 import pass_context
from jinja2.runtime import Context
from litestar import Litestar
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.exceptions import HTTPException
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router

from app.catalog.routes import shop, update_cart
from app.cli import StoreCommands
from app.db import Engine, bind_tables
from app.errors import http_exception_handler, server_error_handler
from app.forwarded import UntrustedForwardedFor
from app.health import healthz, readiness
from app.limits import RequestLimits
from app.live.limits import StreamBounds
from app.live.streams import StreamTiming
from app.live.wiring import Live, live_updates, live_wiring
from app.logs import RequestIds, logging_config
from app.mail.outbox import MailSite
from app.mail.sender import mail_sender
from app.metrics.wiring import (
    count_across_workers,
    metrics_endpoint,
    metrics_lifespan,
    request_metrics,
)
from app.money import format_amount, format_money
from app.orders.mailing import write_order_mails
from app.orders.routes import (
    checkout,
    checkout_cancel,
    checkout_receipt,
    checkout_success,
    client_address,
    find_my_orders,
    my_orders,
    my_orders_live,
    order_page,
    stripe_webhook,
)
from app.orders.service import BuyRules, CheckoutTerms
from app.orders.throttle import BuyLimiter, TrustedProxies
from app.orders.tokens import CheckoutTokens
from app.owner.access import OwnerCookie
from app.owner.devices import DeviceCookies
from app.owner.wiring import owner_router
from app.payments.gateway import PaymentGateway
from app.payments.wiring import announce_simulated_payments, checkout_origins, payment_wiring
from app.piccolo_app import BOUND_TABLES
from app.schema import store_database
from app.security import content_security_policy, security_headers
from app.settings import PROJECT_ROOT, DatabaseSettings, Settings, load_settings
from app.templating import template_engine
from app.text import visible
from app.visitor import VisitorMiddleware, current_visitor


def bind_store_tables(database: DatabaseSettings) -> Engine:
    """Point the store's tables, and Piccolo's user table, at `database`."""
    return bind_tables(BOUND_TABLES, database)


def checkout_terms(settings: Settings) -> CheckoutTerms:
    return CheckoutTerms(
        success=f"{settings.public_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        cancel=f"{settings.public_url}/checkout/cancel?session_id={{CHECKOUT_SESSION_ID}}",
        ship_to=settings.ship_to_countries,
    )


def template_helpers(
    settings: Settings, tokens: CheckoutTokens, live: Live
) -> Callable[[JinjaTemplateEngine], None]:
    @pass_context
    def new_checkout_token(context: Context) -> str:
        # Bound to whoever this page is rendered for (app/visitor.py put the id in the state).
        return tokens.mint(context["request"].state.visitor_id)

    def configure(engine: JinjaTemplateEngine) -> None:
        engine.engine.filters["money"] = format_money
        engine.engine.filters["amount"] = format_amount
        engine.engine.filters["visible"] = visible
        engine.engine.globals["new_checkout_token"] = new_checkout_token
        engine.engine.globals["payments_simulated"] = settings.sandbox_mode
        engine.engine.globals["live"] = live
        engine.engine.globals["public_url"] = settings.public_url

    return configure


def create_app(settings: Settings | None = None) -> Litestar:
    """The store for `settings` (read from the environment when not given)."""
    settings = settings or load_settings()
    count_across_workers(settings.metrics_dir)
    engine = bind_store_tables(settings.database)
    payment = payment_wiring(settings)
    gateway = PaymentGateway(payment.config)
    terms = checkout_terms(settings)
    tokens = CheckoutTokens(settings.secret_key)
    rules = BuyRules(tokens, BuyLimiter(settings.checkout_limit_per_minute))
    timing = StreamTiming(settings.live_heartbeat_seconds, settings.live_lifetime_seconds)
    bounds = StreamBounds(
        per_address=settings.live_streams_per_address,
        per_worker=settings.live_streams_per_worker,
    )
    live = live_wiring(engine, settings.workers, timing, bounds)
    proxies = TrustedProxies(settings.trusted_proxies)
    mail = settings.mail
    return Litestar(
        route_handlers=[
            shop,
            update_cart,
            checkout,
            checkout_receipt,
            checkout_success,
            checkout_cancel,
            my_orders,
            order_page,
            find_my_orders,
            *([my_orders_live] if live.streaming else []),
            stripe_webhook,
            healthz,
            readiness(live.listener),
            *(
                [metrics_endpoint(settings.metrics_allow, proxies, settings.metrics_dir)]
                if settings.metrics
                else []
            ),
            owner_router(
                OwnerCookie(secure=settings.https),
                DeviceCookies.from_secret(settings.secret_key, secure=settings.https),
                live,
            ),
            create_static_files_router(path="/static", directories=[PROJECT_ROOT / "static"]),
        ],
        dependencies={
            "visitor_id": Provide(current_visitor, sync_to_thread=False),
            "gateway": Provide(lambda: gateway, use_cache=True, sync_to_thread=False),
            "checkout_terms": Provide(lambda: terms, use_cache=True, sync_to_thread=False),
            "buy_rules": Provide(lambda: rules, use_cache=True, sync_to_thread=False),
            "streams": Provide(lambda: live.streams, use_cache=True, sync_to_thread=False),
            "client_address": Provide(client_address(proxies), sync_to_thread=False),
        },
        template_config=template_engine(template_helpers(settings, tokens, live), settings.debug),
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            # __Host-: Secure, Path=/, no Domain, so a sibling subdomain cannot plant it.
            cookie_name="__Host-csrftoken" if settings.https else "csrftoken",
            cookie_httponly=True,
            cookie_secure=settings.https,
            cookie_samesite="lax",
        ),
        # Limits first: they refuse before the CSRF check or anything else parses the request.
        middleware=[
            RequestIds(),
            RequestLimits(),
            *([request_metrics()] if settings.metrics else []),
            VisitorMiddleware(settings.secret_key, secure=settings.https),
        ],
        before_request=UntrustedForwardedFor(proxies),
        before_send=[security_headers(content_security_policy(checkout_origins(settings)))],
        exception_handlers={HTTPException: http_exception_handler, Exception: server_error_handler},
        lifespan=[
            metrics_lifespan(settings.metrics_dir, settings.workers),
            store_database(engine, settings.database_wait_seconds),
            live_updates(live),
            mail_sender(
                engine,
                mail,
                MailSite(settings.public_url, mail.owner_email, mail.owner_hears_of_sales),
                write_order_mails,
            ),
        ],
        on_startup=[announce_simulated_payments] if settings.sandbox_mode else [],
        on_shutdown=[gateway.close],
        state=State({"gateway": gateway}),
        plugins=[StoreCommands(), *payment.plugins],
        request_max_body_size=64 * 1024,
        logging_config=logging_config(settings.log_format, settings.log_level),
        openapi_config=None,
        debug=settings.debug,
    )
