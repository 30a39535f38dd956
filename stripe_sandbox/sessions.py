"""Checkout Sessions: creation, retrieval, line items, and every status change with its event."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from stripe_sandbox.checkout_object import EXPANDABLE, session_object
from stripe_sandbox.database import now, write_transaction
from stripe_sandbox.errors import invalid, missing, no_such, plausible_id
from stripe_sandbox.events import record_event
from stripe_sandbox.line_items import build_line_items
from stripe_sandbox.money import MAX_AMOUNT
from stripe_sandbox.objects import Json, item_list, new_id, unix
from stripe_sandbox.settings import SandboxSettings
from stripe_sandbox.shipping import build_shipping, store_rates
from stripe_sandbox.tables import SandboxSession
from stripe_sandbox.validation import expansions
from stripe_sandbox.versions import ACCOUNT_VERSION, session_at

MIN_LIFETIME = timedelta(minutes=30)
MAX_LIFETIME = timedelta(hours=24)
# A client computes expires_at a moment before we stamp `created`; don't fail it for that.
_CLOCK_GRACE = timedelta(seconds=10)
_ECHOED = ("locale", "submit_type", "customer_creation", "payment_method_types")
_ALL = SandboxSession.all_columns()
# The column's width; Stripe takes up to 512 characters.
_MAX_EMAIL = 512
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


async def create_session(settings: SandboxSettings, params: Json) -> Json:
    mode = params.get("mode", "payment")
    if mode != "payment":
        raise invalid("The sandbox supports only mode=payment.", param="mode")
    if not params.get("line_items"):
        raise missing("line_items")
    created = now()
    currency, items = build_line_items(params["line_items"], params.get("currency"), unix(created))
    subtotal = sum(item["amount_subtotal"] for item in items)
    shipping = await build_shipping(settings.account, params, currency, unix(created))
    if subtotal + shipping.amount > MAX_AMOUNT:
        raise invalid(
            "The total amount is larger than Stripe allows for one payment.",
            param="line_items",
            code="amount_too_large",
        )
    _check_url(params["success_url"], "success_url")
    if "cancel_url" in params:
        _check_url(params["cancel_url"], "cancel_url")
    row = SandboxSession(
        account=settings.account,
        session_id=new_id("cs_test_", 58),
        mode=mode,
        status="open",
        payment_status="unpaid",
        currency=currency,
        amount_subtotal=subtotal,
        amount_total=subtotal + shipping.amount,
        line_items=json.dumps(items),
        metadata=json.dumps(params.get("metadata", {})),
        extra=json.dumps({key: params[key] for key in _ECHOED if key in params}),
        client_reference_id=params.get("client_reference_id"),
        customer_email=_email(params.get("customer_email")),
        success_url=params["success_url"],
        cancel_url=params.get("cancel_url"),
        expires_at=_expiry(params.get("expires_at"), created),
        created_at=created,
        shipping_countries=json.dumps(shipping.countries) if shipping.countries else None,
        shipping_rates=json.dumps(shipping.rates) if shipping.rates else None,
        shipping_rate=shipping.rates[0]["id"] if shipping.rates else None,
    )
    expand = _expansions(params)
    async with write_transaction():
        await store_rates(settings.account, shipping)
        rows = await SandboxSession.insert(row).returning(*_ALL)
    return session_object(rows[0], settings.public_url, expand=expand)


async def retrieve_session(settings: SandboxSettings, params: Json, session_id: str) -> Json:
    row = await get_session(settings.account, session_id)
    return session_object(row, settings.public_url, expand=_expansions(params))


async def list_line_items(settings: SandboxSettings, params: Json, session_id: str) -> Json:
    row = await get_session(settings.account, session_id)
    items: list[Json] = json.loads(row["line_items"])
    limit = params.get("limit", 10)
    if not 1 <= limit <= 100:
        raise invalid("Invalid limit: must be between 1 and 100.", param="limit")
    ids = [item["id"] for item in items]
    start, stop = 0, len(items)
    if (cursor := params.get("starting_after")) in ids:
        start = ids.index(cursor) + 1
    elif (cursor := params.get("ending_before")) in ids:
        stop = ids.index(cursor)
        start = max(0, stop - limit)
    page = items[start : min(stop, start + limit)]
    url = f"/v1/checkout/sessions/{session_id}/line_items"
    return item_list(page, url, has_more=start + len(page) < stop)


async def expire_session(settings: SandboxSettings, params: Json, session_id: str) -> Json:
    expand = _expansions(params)
    where = [
        SandboxSession.account == settings.account,
        SandboxSession.session_id == session_id,
        SandboxSession.status == "open",
    ]
    values = {SandboxSession.status: "expired"}
    rows = (
        await transition(settings, where, values, "checkout.session.expired")
        if plausible_id(session_id)
        else []
    )
    if rows:
        return session_object(rows[0], settings.public_url, expand=expand)
    row = await get_session(settings.account, session_id)
    raise invalid(
        'Only Checkout Sessions with a status in ["open"] can be expired. '
        f'This Checkout Session has a status of "{row["status"]}".'
    )


async def get_session(account: str, session_id: str) -> Json:
    query = SandboxSession.select(*_ALL).where(
        SandboxSession.account == account, SandboxSession.session_id == session_id
    )
    row = await query.first() if plausible_id(session_id) else None
    if row is None:
        raise no_such("checkout.session", session_id, param="session")
    return row


async def transition(
    settings: SandboxSettings, where: Sequence[Any], values: dict[Any, Any], event_type: str | None
) -> list[Json]:
    """One conditional UPDATE … RETURNING; each changed row gets its event in the transaction."""
    async with write_transaction():
        rows: list[Json] = await SandboxSession.update(values).where(*where).returning(*_ALL)
        if event_type:
            for row in rows:
                # Events are rendered at the account's API version, as Stripe renders them.
                obj = session_at(session_object(row, settings.public_url), ACCOUNT_VERSION)
                await record_event(row["account"], event_type, obj, settings.webhook_url)
    return rows


def _expiry(value: int | None, created: datetime) -> datetime:
    if value is None:
        return created + MAX_LIFETIME
    # Compared as numbers first: a timestamp past year 9999 is no datetime at all.
    start = created.timestamp()
    if value < start + (MIN_LIFETIME - _CLOCK_GRACE).total_seconds():
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes from Checkout Session "
            "creation.",
            param="expires_at",
        )
    if value > start + (MAX_LIFETIME + _CLOCK_GRACE).total_seconds():
        raise invalid(
            "The `expires_at` timestamp must be less than 24 hours from Checkout Session creation.",
            param="expires_at",
        )
    return datetime.fromtimestamp(value, UTC)


def _email(email: str | None) -> str | None:
    if email is not None and (len(email) > _MAX_EMAIL or not _EMAIL.fullmatch(email)):
        raise invalid(
            f"Invalid email address: {email[:100]}", param="customer_email", code="email_invalid"
        )
    return email


def _check_url(url: str, param: str) -> None:
    parts = urlsplit(url)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise invalid("Not a valid URL", param=param, code="url_invalid")


def _expansions(params: Json) -> set[str]:
    return expansions(params, EXPANDABLE)
