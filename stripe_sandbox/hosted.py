"""The hosted checkout page: plain forms, Stripe's field names, test cards, then the redirect."""

from __future__ import annotations

import json
from datetime import date
from typing import Annotated, Any
from urllib.parse import urlsplit

from litestar import Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath
from litestar.response import Redirect, Response

from stripe_sandbox import cards, payments
from stripe_sandbox.headers import page_policy
from stripe_sandbox.objects import Json
from stripe_sandbox.pages import Pages
from stripe_sandbox.runtime import AnyRequest, SandboxDep

PageResponse = Response[Any]
# The session a route is about, still open; SessionClosed (the closed page) otherwise.
OpenSession = NamedDependency[Json]
Form = Annotated[dict[str, str], Body(media_type=RequestEncodingType.URL_ENCODED)]


class SessionClosed(Exception):
    """The session is gone, paid or expired: every hosted route answers with the closed page."""

    def __init__(self, row: Json | None) -> None:
        super().__init__(row["session_id"] if row else "no such session")
        self.row = row


async def open_session(session_id: FromPath[str]) -> Json:
    row = await payments.find_session(session_id)
    if row is None or row["status"] != "open":
        raise SessionClosed(row)
    return row


@get("/pay/{session_id:str}", name="sandbox-pay", cache=False)
async def payment_page(request: AnyRequest, sandbox: SandboxDep, row: OpenSession) -> PageResponse:
    return _page(sandbox.pages, request, row)


@post("/pay/{session_id:str}", name="sandbox-pay-card")
async def pay_by_card(
    request: AnyRequest, sandbox: SandboxDep, row: OpenSession, data: Form
) -> PageResponse:
    session_id = row["session_id"]
    entered = cards.CardForm(
        email=data.get("email", ""),
        name=data.get("billingName", ""),
        number=data.get("cardNumber", ""),
        expiry=data.get("cardExpiry", ""),
        cvc=data.get("cardCvc", ""),
    )
    verdict = cards.judge(entered, date.today())
    values = {"email": entered.email, "billingName": entered.name}
    if verdict.errors:
        return _page(sandbox.pages, request, row, errors=verdict.errors, values=values, status=422)
    if verdict.decline or verdict.card is None:
        message = verdict.decline[1] if verdict.decline else cards.NOT_A_TEST_CARD[1]
        return _page(sandbox.pages, request, row, declined=message, values=values, status=402)
    buyer = payments.Buyer(email=entered.email, name=entered.name.strip())
    if verdict.authenticate:
        if await payments.hold_for_authentication(session_id, buyer, verdict.card):
            return _see(request, "sandbox-authenticate", session_id)
    elif await payments.pay_by_card(sandbox.settings, session_id, buyer, verdict.card):
        return _success(row)
    raise SessionClosed(await payments.find_session(session_id))


@get("/pay/{session_id:str}/authenticate", name="sandbox-authenticate", cache=False)
async def authentication_page(
    request: AnyRequest, sandbox: SandboxDep, row: OpenSession
) -> PageResponse:
    if not row["awaiting_auth"]:
        return _see(request, "sandbox-pay", row["session_id"])
    context = {"card": json.loads(row["card"])}
    return _render(sandbox.pages, request, "authenticate.html", row, context)


@post("/pay/{session_id:str}/authenticate", name="sandbox-authenticate-answer")
async def answer_authentication(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str], data: Form
) -> PageResponse:
    approved = data.get("outcome") == "approve"
    done = await payments.finish_authentication(sandbox.settings, session_id, approved=approved)
    row = await payments.find_session(session_id)
    if row is None or not done:
        raise SessionClosed(row)
    if approved:
        return _success(row)
    values = {"email": row["buyer_email"] or "", "billingName": row["buyer_name"] or ""}
    declined = cards.AUTHENTICATION_FAILED
    return _page(sandbox.pages, request, row, declined=declined, values=values, status=402)


@post("/pay/{session_id:str}/later", name="sandbox-pay-later")
async def pay_later(
    request: AnyRequest, sandbox: SandboxDep, row: OpenSession, data: Form
) -> PageResponse:
    session_id = row["session_id"]
    email = data.get("email", "")
    if message := cards.check_email(email):
        errors = {"email": message}
        return _page(
            sandbox.pages, request, row, later_errors=errors, values={"email": email}, status=422
        )
    buyer = payments.Buyer(email=email, name=data.get("billingName", "").strip() or None)
    succeeds = data.get("outcome") != "fail"
    if await payments.pay_later(sandbox.settings, session_id, buyer, succeeds=succeeds):
        return _success(row)
    raise SessionClosed(await payments.find_session(session_id))


def hosted_router(pages: Pages) -> Router:
    """The pages, with one answer for a session that can no longer be paid."""

    def closed(request: AnyRequest, closed: SessionClosed) -> PageResponse:
        if closed.row is None:
            return pages.render(request, "not_found.html", {}, status_code=404)
        context = {"session": closed.row, "back_url": _back_url(closed.row)}
        return pages.render(request, "closed.html", context, headers=_csp(closed.row))

    return Router(
        path="/",
        route_handlers=[
            payment_page,
            pay_by_card,
            authentication_page,
            answer_authentication,
            pay_later,
        ],
        dependencies={"row": Provide(open_session)},
        exception_handlers={SessionClosed: closed},
    )


def _page(
    pages: Pages, request: AnyRequest, row: Json, *, status: int = 200, **context: Any
) -> PageResponse:
    context.setdefault("values", {"email": row["customer_email"] or ""})
    return _render(pages, request, "pay.html", row, context, status=status)


def _render(
    pages: Pages,
    request: AnyRequest,
    name: str,
    row: Json,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> PageResponse:
    session_id = row["session_id"]
    full = {
        "session": row,
        "items": json.loads(row["line_items"]),
        "errors": {},
        "later_errors": {},
        "back_url": _back_url(row),
        "pay_url": request.app.route_reverse("sandbox-pay-card", session_id=session_id),
        "later_url": request.app.route_reverse("sandbox-pay-later", session_id=session_id),
        "auth_url": request.app.route_reverse("sandbox-authenticate-answer", session_id=session_id),
        **context,
    }
    return pages.render(request, name, full, status_code=status, headers=_csp(row))


def _see(request: AnyRequest, route: str, session_id: str) -> PageResponse:
    return Redirect(request.app.route_reverse(route, session_id=session_id), status_code=303)


def _success(row: Json) -> PageResponse:
    url = _fill(row["success_url"], row["session_id"])
    return Redirect(url, status_code=303, headers=_csp(row))


def _fill(url: str, session_id: str) -> str:
    """Stripe's template variable, filled in on the way back to the shop (success and cancel)."""
    return url.replace("{CHECKOUT_SESSION_ID}", session_id)


def _back_url(row: Json) -> str | None:
    return _fill(row["cancel_url"], row["session_id"]) if row["cancel_url"] else None


def _csp(row: Json) -> dict[str, str]:
    """Chromium checks form-action on the redirect after a post: allow the shop's own origins."""
    origins = {_origin(row["success_url"]), _origin(row["cancel_url"])} - {None}
    return {"Content-Security-Policy": page_policy(sorted(o for o in origins if o))}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
