"""Who a Buy is counted against: the peer, or the client a trusted proxy names; and the settings."""

from __future__ import annotations

import ipaddress
import logging
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from litestar.handlers import HTTPRouteHandler

from app.forwarded import UntrustedForwardedFor
from app.main import create_app
from app.orders.throttle import TrustedProxies
from app.settings import Settings, SettingsError, load_settings
from tests.support.http import browser_like, running

PROXIES = TrustedProxies([ipaddress.ip_network("10.0.0.0/8"), ipaddress.ip_network("::1/128")])


def scope(peer: str | None, *forwarded: str) -> dict[str, Any]:
    return {
        "client": (peer, 5000) if peer else None,
        "headers": [(b"x-forwarded-for", value.encode()) for value in forwarded],
    }


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("198.51.100.1", ["203.0.113.9"], "198.51.100.1"),  # not a proxy of ours: ignored
        ("10.0.0.2", [], "10.0.0.2"),
        ("10.0.0.2", ["203.0.113.9"], "203.0.113.9"),
        ("10.0.0.2", ["6.6.6.6, 203.0.113.9"], "203.0.113.9"),  # the client's own claim
        ("10.0.0.2", ["6.6.6.6", "203.0.113.9, 10.0.0.7"], "203.0.113.9"),  # two headers
        ("10.0.0.2", ["10.0.0.9, 10.0.0.7"], "10.0.0.9"),  # only our proxies: the farthest
        ("10.0.0.2", ["203.0.113.9, nonsense"], "10.0.0.2"),  # garbled by the last hop
        ("::1", ["2001:db8::5"], "2001:db8::5"),
        ("::ffff:198.51.100.3", ["203.0.113.9"], "198.51.100.3"),  # IPv4 seen over IPv6
        (None, ["203.0.113.9"], "unknown"),
    ],
)
def test_the_client_is_the_right_most_address_that_is_not_a_proxy_of_ours(
    peer: str | None, forwarded: list[str], client: str
) -> None:
    assert PROXIES.client_address(scope(peer, *forwarded)) == client


def test_without_trusted_proxies_the_header_is_never_read() -> None:
    assert TrustedProxies().client_address(scope("127.0.0.1", "203.0.113.9")) == "127.0.0.1"


def test_the_limit_and_the_proxies_are_read_from_the_environment(tmp_path: Path) -> None:
    env = {"SECRET_KEY_FILE": str(tmp_path / "key")}
    defaults = load_settings(env)
    assert (defaults.checkout_limit_per_minute, defaults.trusted_proxies) == (20, ())
    chosen = load_settings(
        {**env, "CHECKOUT_LIMIT_PER_MINUTE": "0", "TRUSTED_PROXIES": " 10.0.0.0/8, ::1 ,"}
    )
    assert chosen.checkout_limit_per_minute == 0
    assert chosen.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"CHECKOUT_LIMIT_PER_MINUTE": "-1"}, "CHECKOUT_LIMIT_PER_MINUTE"),
        ({"CHECKOUT_LIMIT_PER_MINUTE": "1e3"}, "CHECKOUT_LIMIT_PER_MINUTE"),
        ({"CHECKOUT_LIMIT_PER_MINUTE": "\uff12\uff10"}, "CHECKOUT_LIMIT_PER_MINUTE"),
        ({"CHECKOUT_LIMIT_PER_MINUTE": "100000"}, "CHECKOUT_LIMIT_PER_MINUTE"),
        ({"TRUSTED_PROXIES": "proxy.internal"}, "TRUSTED_PROXIES"),
        ({"TRUSTED_PROXIES": "10.0.0.1/8"}, "TRUSTED_PROXIES"),  # host bits: a typo, surely
        ({"TRUSTED_PROXIES": "10.0.0.0/33"}, "TRUSTED_PROXIES"),
    ],
)
def test_bad_limits_and_proxies_are_refused(
    tmp_path: Path, env: dict[str, str], message: str
) -> None:
    with pytest.raises(SettingsError, match=message):
        load_settings({"SECRET_KEY_FILE": str(tmp_path / "key"), **env})


class Collected(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


async def test_x_forwarded_for_from_an_untrusted_peer_is_warned_about_once(
    settings: Settings,
) -> None:
    forwarded = {"x-forwarded-for": "203.0.113.9"}
    proxy = ("10.0.0.2", 4000)
    trusted = create_app(replace(settings, trusted_proxies=(ipaddress.ip_network("10.0.0.0/8"),)))
    # Its own handler: the app's logging set-up at start replaces the root logger's handlers.
    collected, logger = Collected(), logging.getLogger("app.proxies")
    logger.addHandler(collected)
    try:
        async with running(trusted) as app, browser_like(app, settings.public_url, proxy) as http:
            assert (await http.get("/healthz", headers=forwarded)).status_code == 200
        assert collected.records == []  # from a proxy we trust, the header is the point
        async with (
            running(create_app(settings)) as app,
            browser_like(app, settings.public_url) as http,
        ):
            assert (await http.get("/healthz")).status_code == 200
            assert collected.records == []  # nothing forwarded, nothing to say
            for _ in range(3):
                assert (await http.get("/healthz", headers=forwarded)).status_code == 200
    finally:
        logger.removeHandler(collected)
    [warning] = collected.records
    assert "X-Forwarded-For from 127.0.0.1" in warning.getMessage()
    assert "TRUSTED_PROXIES" in warning.getMessage()


def test_no_route_skips_the_forwarded_for_check(settings: Settings) -> None:
    # Litestar runs only the closest layer's before_request: one set on a router or a route
    # would silently replace the app's check for that route's requests.
    app = create_app(settings)
    handlers = [
        handler
        for route in app.routes
        for handler in getattr(route, "route_handlers", ())
        if isinstance(handler, HTTPRouteHandler)
    ]
    assert len(handlers) > 20
    assert isinstance(app.before_request, UntrustedForwardedFor)
    shadowed = [h.paths for h in handlers if h.resolve_before_request() is not app.before_request]
    assert shadowed == []
