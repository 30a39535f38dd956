"""Events: recorded in each state change's transaction, listed and retrieved like Stripe's."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from stripe_sandbox.database import now
from stripe_sandbox.errors import invalid, no_such, plausible_id
from stripe_sandbox.objects import Json, event_object, item_list, new_id, unix
from stripe_sandbox.pagination import cursor_page
from stripe_sandbox.settings import SandboxSettings
from stripe_sandbox.tables import SandboxEvent

_LAST_SECOND = 253_402_300_799  # 9999-12-31 23:59:59 UTC


async def record_event(account: str, event_type: str, obj: Json, webhook_url: str | None) -> Json:
    created = now()
    event = event_object(
        new_id("evt_"), event_type, obj, unix(created), pending_webhooks=1 if webhook_url else 0
    )
    await SandboxEvent.insert(
        SandboxEvent(
            account=account,
            event_id=event["id"],
            type=event_type,
            created_at=created,
            payload=json.dumps(event),
            webhook_url=webhook_url,
            # No endpoint, nothing to deliver: the event is only listed.
            next_attempt_at=created if webhook_url else None,
        )
    )
    return event


def _event(row: dict[str, Any]) -> Json:
    event: Json = json.loads(row["payload"])
    event["pending_webhooks"] = int(bool(row["webhook_url"]) and not row["delivered"])
    return event


_COLUMNS = (SandboxEvent.id, SandboxEvent.payload, SandboxEvent.webhook_url, SandboxEvent.delivered)


async def retrieve_event(settings: SandboxSettings, params: Json, event_id: str) -> Json:
    query = SandboxEvent.select(*_COLUMNS).where(
        SandboxEvent.account == settings.account, SandboxEvent.event_id == event_id
    )
    row = await query.first() if plausible_id(event_id) else None
    if row is None:
        raise no_such("event", event_id, param="id")
    return _event(row)


async def list_events(settings: SandboxSettings, params: Json) -> Json:
    account = settings.account
    if "type" in params and "types" in params:
        raise invalid("You may pass either `type` or `types`, but not both.", param="types")
    query = SandboxEvent.select(*_COLUMNS).where(SandboxEvent.account == account)
    if event_type := params.get("type"):
        # Stripe's one wildcard: "checkout.session.*".
        query = query.where(
            SandboxEvent.type.like(event_type.replace("*", "%"))
            if "*" in event_type
            else SandboxEvent.type == event_type
        )
    if types := params.get("types"):
        query = query.where(SandboxEvent.type.is_in(types[:20]))
    if "delivery_success" in params:
        query = query.where(SandboxEvent.delivered == params["delivery_success"])
    query = _created_filter(query, params.get("created"))
    page, more = await cursor_page(
        query, SandboxEvent.event_id, SandboxEvent.account, account, params, "event"
    )
    return item_list([_event(row) for row in page], "/v1/events", has_more=more)


def _created_filter(query: Any, created: int | dict[str, int] | None) -> Any:
    if created is None:
        return query
    bounds = created if isinstance(created, dict) else {"gte": created, "lte": created}
    # `created` is whole seconds: gt 5 starts at 6.000, lte 5 ends before 6.000.
    for op, value in bounds.items():
        if op in {"gt", "gte"}:
            query = query.where(SandboxEvent.created_at >= _moment(value + (op == "gt")))
        else:
            query = query.where(SandboxEvent.created_at < _moment(value + (op == "lte")))
    return query


def _moment(value: int) -> datetime:
    # Any int64 is a valid `created`; beyond what a datetime holds, nothing was created anyway.
    return datetime.fromtimestamp(min(max(value, 0), _LAST_SECOND), UTC)
