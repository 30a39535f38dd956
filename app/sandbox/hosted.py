"""The hosted checkout page: plain forms, Stripe's field names, test cards, then the redirect."""

from __future__ import annotations

import json
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from litestar import get, post
from litestar.params import FromPath
from litestar.response import Redirect, Response, Template

from app.sandbox import cards, payments
from app.sandbox.objects import Json
from app.sandbox.runtime import SandboxDep
from app.security import content_security_policy
from app.web import AnyRequest

PageResponse = Response[Any]


@get("/pay/{session_id:str}", name="sandbox-pay", cache=False)
async def payment_page(request: AnyRequest, session_id: FromPath[str]) -> PageResponse:
    row = await payments.find_session(session_id)
    if row is None or row["status"] != "open":
        return _closed(row)
    return _page(request, row)


@post("/pay/{session_id:str}", name="sandbox-pay-card")
async def pay_by_card(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> PageResponse:
    form = await _form(request)
    row = await payments.find_session(session_id)
    if row is None or row["status"] != "open":
        return _closed(row)
    entered = cards.CardForm(
        email=form.get("email", ""),
        name=form.get("billingName", ""),
        number=form.get("cardNumber", ""),
        expiry=form.get("cardExpiry", ""),
        cvc=form.get("cardCvc", ""),
    )
    verdict = cards.judge(entered, date.today())
    values = {"email": entered.email, "billingName": entered.name}
    if verdict.errors:
        return _page(request, row, errors=verdict.errors, values=values, status_code=422)
    if verdict.decline or verdict.card is None:
        message = verdict.decline[1] if verdict.decline else cards.NOT_A_TEST_CARD[1]
        return _page(request, row, declined=message, values=values, status_code=402)
    buyer = payments.Buyer(email=entered.email, name=entered.name.strip())
    if verdict.authenticate:
        if await payments.hold_for_authentication(session_id, buyer, verdict.card):
            return Redirect(
                request.app.route_reverse("sandbox-authenticate", session_id=session_id),
                status_code=303,
            )
    elif await payments.pay_by_card(sandbox.config, session_id, buyer, verdict.card):
        return _success(row)
    return _closed(await payments.find_session(session_id))


@get("/pay/{session_id:str}/authenticate", name="sandbox-authenticate", cache=False)
async def authentication_page(request: AnyRequest, session_id: FromPath[str]) -> PageResponse:
    row = await payments.find_session(session_id)
    if row is None or row["status"] != "open":
        return _closed(row)
    if not row["awaiting_auth"]:
        return Redirect(
            request.app.route_reverse("sandbox-pay", session_id=session_id), status_code=303
        )
    return _render(request, "sandbox/authenticate.html", row, {"card": json.loads(row["card"])})


@post("/pay/{session_id:str}/authenticate", name="sandbox-authenticate-answer")
async def answer_authentication(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> PageResponse:
    form = await _form(request)
    approved = form.get("outcome") == "approve"
    done = await payments.finish_authentication(sandbox.config, session_id, approved=approved)
    row = await payments.find_session(session_id)
    if row is None or not done:
        return _closed(row)
    if approved:
        return _success(row)
    values = {"email": row["buyer_email"] or "", "billingName": row["buyer_name"] or ""}
    return _page(request, row, declined=cards.AUTHENTICATION_FAILED, values=values, status_code=402)


@post("/pay/{session_id:str}/later", name="sandbox-pay-later")
async def pay_later(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> PageResponse:
    form = await _form(request)
    row = await payments.find_session(session_id)
    if row is None or row["status"] != "open":
        return _closed(row)
    email = form.get("email", "")
    if message := cards.check_email(email):
        return _page(
            request, row, later_errors={"email": message}, values={"email": email}, status_code=422
        )
    buyer = payments.Buyer(email=email, name=form.get("billingName", "").strip() or None)
    succeeds = form.get("outcome") != "fail"
    if await payments.pay_later(sandbox.config, session_id, buyer, succeeds=succeeds):
        return _success(row)
    return _closed(await payments.find_session(session_id))


HOSTED_HANDLERS: list[Any] = [
    payment_page,
    pay_by_card,
    authentication_page,
    answer_authentication,
    pay_later,
]


async def _form(request: AnyRequest) -> dict[str, str]:
    form = await request.form()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _page(
    request: AnyRequest, row: Json, *, status_code: int = 200, **context: Any
) -> PageResponse:
    context.setdefault("values", {"email": row["customer_email"] or ""})
    return _render(request, "sandbox/pay.html", row, context, status_code=status_code)


def _render(
    request: AnyRequest, name: str, row: Json, context: dict[str, Any], *, status_code: int = 200
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
    return Template(name, context=full, status_code=status_code, headers=_csp(row))


def _closed(row: Json | None) -> PageResponse:
    if row is None:
        return Template("sandbox/not_found.html", status_code=404)
    context = {"session": row, "back_url": _back_url(row)}
    return Template("sandbox/closed.html", context=context, status_code=200, headers=_csp(row))


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
    return {"Content-Security-Policy": content_security_policy(sorted(o for o in origins if o))}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None
