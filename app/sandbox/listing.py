"""GET /v1/checkout/sessions: a page of the account's sessions, newest first, as Stripe has it."""

from __future__ import annotations

from app.sandbox.config import SandboxConfig
from app.sandbox.errors import invalid, no_such
from app.sandbox.objects import Json, item_list, session_object
from app.sandbox.tables import SandboxSession

# Filters on objects this sandbox never creates: they match nothing, as they would at Stripe.
_NEVER_MATCH = ("customer", "customer_details", "payment_link", "subscription")


async def list_sessions(config: SandboxConfig, params: Json) -> Json:
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100.", param="limit")
    url = "/v1/checkout/sessions"
    if any(name in params for name in _NEVER_MATCH):
        return item_list([], url)
    query = SandboxSession.select(*SandboxSession.all_columns()).where(
        SandboxSession.account == config.account
    )
    if payment_intent := params.get("payment_intent"):
        query = query.where(SandboxSession.payment_intent == payment_intent)
    descending = True
    if cursor := params.get("starting_after"):
        query = query.where(SandboxSession.id < await _position(config, cursor, "starting_after"))
    elif cursor := params.get("ending_before"):
        query = query.where(SandboxSession.id > await _position(config, cursor, "ending_before"))
        descending = False
    rows = await query.order_by(SandboxSession.id, ascending=not descending).limit(limit + 1)
    page = rows[:limit]
    if not descending:
        page.reverse()
    data = [session_object(row, config.public_url) for row in page]
    return item_list(data, url, has_more=len(rows) > limit)


async def _position(config: SandboxConfig, session_id: str, param: str) -> int:
    row = (
        await SandboxSession.select(SandboxSession.id)
        .where(SandboxSession.account == config.account, SandboxSession.session_id == session_id)
        .first()
    )
    if row is None:
        raise no_such("checkout.session", session_id, param=param)
    return int(row["id"])
