"""Who may see /owner: the session cookie, the guard on every owner route, sign-in and sign-out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import timedelta
from typing import Any

from litestar import get, post
from litestar.connection import ASGIConnection
from litestar.datastructures import Cookie
from litestar.di import NamedDependency
from litestar.handlers import BaseRouteHandler
from litestar.plugins.htmx import ClientRedirect
from litestar.response import Redirect, Response, ServerSentEvent, ServerSentEventMessage, Template

from app.errors import error_response
from app.owner.devices import DeviceCookies
from app.owner.live import SIGNED_OUT
from app.owner.sessions import ABSOLUTE_EXPIRY, Owner, owner_for
from app.owner.signin import SignInFailed, SignInThrottled, sign_in, sign_out
from app.web import CONTROL, AnyRequest, ClientAddress, is_htmx

LOGIN = "/owner/login"
WRONG = "Wrong name or password."


@dataclass(frozen=True, slots=True)
class OwnerCookie:
    """HttpOnly, SameSite=Strict, only sent to /owner; Secure (and __Secure-) under https."""

    secure: bool

    @property
    def name(self) -> str:
        return "__Secure-owner" if self.secure else "owner"

    def issue(self, token: str) -> Cookie:
        return self._cookie(token, ABSOLUTE_EXPIRY)

    def clear(self) -> Cookie:
        return self._cookie("", timedelta(0))

    def _cookie(self, value: str, max_age: timedelta) -> Cookie:
        return Cookie(
            key=self.name,
            value=value,
            path="/owner",
            max_age=int(max_age.total_seconds()),
            httponly=True,
            secure=self.secure,
            samesite="strict",
        )


OwnerCookieDep = NamedDependency[OwnerCookie]
DeviceCookiesDep = NamedDependency[DeviceCookies]


class NotSignedIn(Exception):
    pass


# The fragments that re-fetch themselves when the live stream says so (htmx's HX-Source names
# the element that asked): an open tab's re-fetch is not the owner doing anything.
LIVE_REFETCHES = frozenset({"div#dashboard", "section#owner-orders", "section#owner-order"})

Guard = Callable[[ASGIConnection[Any, Any, Any, Any], BaseRouteHandler], Awaitable[None]]


def owner_guard(cookie: OwnerCookie) -> Guard:
    """The guard on the owner router: handlers marked public (sign-in) are the only exception.

    Handlers marked passive (the live stream, which reconnects by itself) and the fragments'
    live re-fetches do not count as the owner being active: an open tab does not keep an idle
    session alive. (A forged HX-Source can only keep the sender's own session from refreshing.)
    """

    async def require_owner(connection: ASGIConnection[Any, Any, Any, Any], _: Any) -> None:
        opt = connection.route_handler.opt
        if opt.get("public"):
            return
        refetch = connection.scope.get("method") == "GET" and (
            connection.headers.get("hx-source") in LIVE_REFETCHES
        )
        touch = not (opt.get("passive") or refetch)
        owner = await owner_for(connection.cookies.get(cookie.name), touch=touch)
        if owner is None:
            raise NotSignedIn()
        connection.state.owner = owner

    return require_owner


def signed_in_owner(request: AnyRequest, client_address: ClientAddress) -> Owner:
    """The owner the guard found, from this client's address (what the audit keeps)."""
    owner: Owner = request.state.owner
    return replace(owner, address=client_address)


def to_login(request: AnyRequest, _: NotSignedIn) -> Response[Any]:
    if request.route_handler.opt.get("passive"):
        # The live stream reconnecting after the session ended: a redirect would only be
        # retried for ever; this event closes the stream and sends the page to sign in.
        # (Not told by Accept: the SSE extension adds text/event-stream to every request.)
        return ServerSentEvent([ServerSentEventMessage(event=SIGNED_OUT)])
    # htmx would follow a 303 with fetch and swap the login page into a fragment.
    return ClientRedirect(LOGIN) if is_htmx(request) else Redirect(LOGIN, status_code=303)


@get("/login", opt={"public": True})
async def login_form() -> Template:
    return Template("owner/login.html", context={"username": ""})


@post("/login", opt={"public": True})
async def login(
    request: AnyRequest,
    owner_cookie: OwnerCookieDep,
    device_cookies: DeviceCookiesDep,
    client_address: ClientAddress,
) -> Response[Any]:
    form = await request.form()
    username, password = str(form.get("username", "")), str(form.get("password", ""))
    if CONTROL.search(username):  # no owner's name has one (app/owner/accounts.py)
        return error_response(request, 400, message="A name has no control characters.")
    device = device_cookies.device(request.cookies.get(device_cookies.name), username)
    try:
        signed_in = await sign_in(
            username, password, client_address, device, name_key=device_cookies.name_key
        )
    except SignInThrottled as exc:
        return error_response(
            request,
            429,
            message="Too many failed sign-ins. Wait a few minutes, then try again.",
            headers={"retry-after": str(exc.retry_after)},
        )
    except SignInFailed:
        context = {"username": username, "error": WRONG}
        return Template("owner/login.html", context=context, status_code=401)
    # A new session id at every sign-in: whatever cookie the browser brought is replaced.
    cookies = [owner_cookie.issue(signed_in.token), device_cookies.issue(signed_in.username)]
    return Redirect("/owner/", status_code=303, cookies=cookies)


@post("/logout")
async def logout(
    request: AnyRequest, owner_cookie: OwnerCookieDep, client_address: ClientAddress
) -> Response[Any]:
    await sign_out(request.cookies.get(owner_cookie.name), client_address)
    return Redirect(LOGIN, status_code=303, cookies=[owner_cookie.clear()])
