"""The hosted checkout page: plain forms, Stripe's field names, test cards, then the redirect."""

from __future__ import annotations

from datetime import date

from litestar import Router, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery

from stripe_sandbox import cards, payments, shipping_form
from stripe_sandbox.answers import (
    PageResponse,
    after_decline,
    authentication,
    back_url,
    csp,
    pay_page,
    see,
    success,
    typed_back,
)
from stripe_sandbox.fields import read_form
from stripe_sandbox.objects import Json
from stripe_sandbox.pages import Pages
from stripe_sandbox.runtime import AnyRequest, SandboxDep

# The session a route is about, still open; SessionClosed (the closed page) otherwise.
OpenSession = NamedDependency[Json]
_CARD_FIELDS = ("email", "billingName", "cardNumber", "cardExpiry", "cardCvc")
_LATER_OUTCOMES = {"succeed", "fail"}
_AUTH_OUTCOMES = {"approve", "fail"}


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
async def payment_page(
    request: AnyRequest, sandbox: SandboxDep, row: OpenSession, declined: FromQuery[str] = ""
) -> PageResponse:
    # After a failed payment (see answers.after_decline): why, and the fields as they were typed.
    if message := cards.DECLINE_MESSAGES.get(declined):
        values = typed_back(request) or {"email": row["customer_email"] or ""}
        return pay_page(sandbox.pages, request, row, declined=message, values=values)
    return pay_page(sandbox.pages, request, row)


@post("/pay/{session_id:str}", name="sandbox-pay-card")
async def pay_by_card(request: AnyRequest, sandbox: SandboxDep, row: OpenSession) -> PageResponse:
    session_id = row["session_id"]
    form = read_form(await request.body(), _CARD_FIELDS + shipping_form.form_fields(row))
    entered = cards.CardForm(*(form.get(name) for name in _CARD_FIELDS))
    verdict = cards.judge(entered, date.today())
    shipping, address_errors = shipping_form.read_shipping(form, row)
    values = {name: form.shown.get(name, "") for name in ("email", "billingName")}
    values.update(shipping_form.typed_back(form))
    # What could not be read at all explains a field better than what judging "" would say.
    if errors := {**verdict.errors, **address_errors, **form.errors}:
        return pay_page(sandbox.pages, request, row, errors=errors, values=values, status=422)
    if verdict.decline or verdict.card is None:
        code = verdict.decline[0] if verdict.decline else cards.NOT_A_TEST_CARD[0]
        return after_decline(request, row, code, values)
    buyer = payments.Buyer(email=entered.email, name=entered.name.strip(), shipping=shipping)
    if verdict.authenticate:
        if await payments.hold_for_authentication(session_id, buyer, verdict.card):
            return see(request, "sandbox-authenticate", session_id)
    elif await payments.pay_by_card(sandbox.settings, session_id, buyer, verdict.card):
        return success(row)
    raise SessionClosed(await payments.find_session(session_id))


@get("/pay/{session_id:str}/authenticate", name="sandbox-authenticate", cache=False)
async def authentication_page(
    request: AnyRequest, sandbox: SandboxDep, row: OpenSession
) -> PageResponse:
    return authentication(sandbox.pages, request, row, errors={})


@post("/pay/{session_id:str}/authenticate", name="sandbox-authenticate-answer")
async def answer_authentication(
    request: AnyRequest, sandbox: SandboxDep, session_id: FromPath[str]
) -> PageResponse:
    form = read_form(await request.body(), ("outcome",))
    if (outcome := form.get("outcome")) not in _AUTH_OUTCOMES:
        message = "Choose to complete or to fail the authentication."
        errors = {"outcome": form.errors.get("outcome", message)}
        row = await open_session(session_id)
        return authentication(sandbox.pages, request, row, errors=errors, status=422)
    approved = outcome == "approve"
    done = await payments.finish_authentication(sandbox.settings, session_id, approved=approved)
    if (found := await payments.find_session(session_id)) is None or not done:
        raise SessionClosed(found)
    row = found
    if approved:
        return success(row)
    values = {"email": row["buyer_email"] or "", "billingName": row["buyer_name"] or ""}
    values.update(shipping_form.stored_values(row["shipping_details"]))
    return after_decline(request, row, "authentication_failed", values)


@post("/pay/{session_id:str}/later", name="sandbox-pay-later")
async def pay_later(request: AnyRequest, sandbox: SandboxDep, row: OpenSession) -> PageResponse:
    session_id = row["session_id"]
    form = read_form(await request.body(), ("email", "outcome", *shipping_form.form_fields(row)))
    email, outcome = form.get("email"), form.get("outcome")
    shipping, errors = shipping_form.read_shipping(form, row)
    if message := cards.check_email(email):
        errors["email"] = message
    if outcome not in _LATER_OUTCOMES:
        errors["outcome"] = "Choose how the test transfer ends."
    if errors := {**errors, **form.errors}:
        values = {"email": form.shown.get("email", ""), **shipping_form.typed_back(form)}
        return pay_page(sandbox.pages, request, row, later_errors=errors, values=values, status=422)
    # The form asks for no name on a card: a name sent anyway is not the buyer's to set.
    buyer = payments.Buyer(email=email, name=None, shipping=shipping)
    succeeds = outcome == "succeed"
    if await payments.pay_later(sandbox.settings, session_id, buyer, succeeds=succeeds):
        return success(row)
    raise SessionClosed(await payments.find_session(session_id))


def hosted_router(pages: Pages) -> Router:
    """The pages, with one answer for a session that can no longer be paid."""

    def closed(request: AnyRequest, closed: SessionClosed) -> PageResponse:
        if closed.row is None:
            return pages.render(request, "not_found.html", {}, status_code=404)
        context = {"session": closed.row, "back_url": back_url(closed.row)}
        return pages.render(request, "closed.html", context, headers=csp(closed.row))

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
