"""GET /v1/checkout/sessions: a page of the account's sessions, newest first, as Stripe has it."""

from __future__ import annotations

from stripe_sandbox.checkout_object import session_object
from stripe_sandbox.objects import Json, item_list
from stripe_sandbox.pagination import cursor_page
from stripe_sandbox.settings import SandboxSettings
from stripe_sandbox.tables import SandboxSession

# Filters on objects this sandbox never creates: they match nothing, as they would at Stripe.
_NEVER_MATCH = ("customer", "customer_details", "payment_link", "subscription")


async def list_sessions(settings: SandboxSettings, params: Json) -> Json:
    query = SandboxSession.select(*SandboxSession.all_columns()).where(
        SandboxSession.account == settings.account
    )
    if any(name in params for name in _NEVER_MATCH):
        query = query.where(SandboxSession.id < 0)
    if payment_intent := params.get("payment_intent"):
        query = query.where(SandboxSession.payment_intent == payment_intent)
    page, more = await cursor_page(
        query, SandboxSession.session_id, SandboxSession.account, settings.account, params,
        "checkout.session",
    )  # fmt: skip
    data = [session_object(row, settings.public_url) for row in page]
    return item_list(data, "/v1/checkout/sessions", has_more=more)
