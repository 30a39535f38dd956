"""The owner's side as one router: every /owner route behind the owner's session."""

from __future__ import annotations

from litestar import Router
from litestar.di import Provide

from app.live.wiring import Live
from app.owner.access import (
    NotSignedIn,
    OwnerCookie,
    login,
    login_form,
    logout,
    owner_guard,
    signed_in_owner,
    to_login,
)
from app.owner.devices import DeviceCookies
from app.owner.export.routes import owner_orders_csv
from app.owner.products.routes import owner_products, owner_update_product
from app.owner.routes import (
    owner_accept,
    owner_dashboard,
    owner_live,
    owner_new_link,
    owner_order,
    owner_orders,
    owner_packing_slip,
    owner_refund,
    owner_send_again,
    owner_ship,
)


def owner_router(cookie: OwnerCookie, devices: DeviceCookies, live: Live) -> Router:
    """Every /owner route is behind the owner's session, but those marked public (sign-in)."""
    return Router(
        path="/owner",
        route_handlers=[
            *([owner_live] if live.streaming else []),
            login_form,
            login,
            logout,
            owner_dashboard,
            owner_orders,
            owner_order,
            owner_refund,
            owner_accept,
            owner_ship,
            owner_send_again,
            owner_new_link,
            owner_packing_slip,
            owner_products,
            owner_update_product,
            owner_orders_csv,
        ],
        guards=[owner_guard(cookie)],
        dependencies={
            "owner": Provide(signed_in_owner, sync_to_thread=False),
            "owner_cookie": Provide(lambda: cookie, use_cache=True, sync_to_thread=False),
            "device_cookies": Provide(lambda: devices, use_cache=True, sync_to_thread=False),
        },
        exception_handlers={NotSignedIn: to_login},
    )
