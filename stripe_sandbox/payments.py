"""Paying a session: by card, after 3-D Secure, or by a delayed method settled later."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from stripe_sandbox.database import now
from stripe_sandbox.errors import plausible_id
from stripe_sandbox.objects import Json, new_id
from stripe_sandbox.sessions import transition
from stripe_sandbox.settings import SandboxSettings
from stripe_sandbox.tables import SandboxSession


@dataclass(frozen=True, slots=True)
class Buyer:
    email: str
    name: str | None
    # The address to ship to, as Stripe's `shipping_details`, when the session asks for one.
    shipping: Json | None = None


@dataclass(frozen=True, slots=True)
class CardUsed:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


async def find_session(session_id: str) -> Json | None:
    """The hosted page knows a session by its id alone, as Stripe's page does."""
    if not plausible_id(session_id):
        return None
    row: Json | None = (
        await SandboxSession.select(*SandboxSession.all_columns())
        .where(SandboxSession.session_id == session_id)
        .first()
    )
    return row


def _payable(session_id: str) -> list[Any]:
    # Past expires_at but not yet swept by the background loop still counts as expired.
    return [
        SandboxSession.session_id == session_id,
        SandboxSession.status == "open",
        SandboxSession.expires_at > now(),
    ]


def _buyer(buyer: Buyer) -> dict[Any, Any]:
    return {
        SandboxSession.buyer_email: buyer.email,
        SandboxSession.buyer_name: buyer.name,
        SandboxSession.shipping_details: json.dumps(buyer.shipping) if buyer.shipping else None,
    }


def _paid() -> dict[Any, Any]:
    return {
        SandboxSession.status: "complete",
        SandboxSession.payment_status: "paid",
        SandboxSession.payment_intent: new_id("pi_"),
        SandboxSession.charge: new_id("ch_"),
        SandboxSession.awaiting_auth: False,
    }


async def pay_by_card(
    settings: SandboxSettings, session_id: str, buyer: Buyer, card: CardUsed
) -> bool:
    values = {
        **_paid(),
        **_buyer(buyer),
        SandboxSession.payment_method_type: "card",
        SandboxSession.card: _card(card),
    }
    rows = await transition(settings, _payable(session_id), values, "checkout.session.completed")
    return bool(rows)


async def hold_for_authentication(session_id: str, buyer: Buyer, card: CardUsed) -> bool:
    values = {**_buyer(buyer), SandboxSession.card: _card(card), SandboxSession.awaiting_auth: True}
    rows = (
        await SandboxSession.update(values)
        .where(*_payable(session_id))
        .returning(SandboxSession.id)
    )
    return bool(rows)


async def finish_authentication(
    settings: SandboxSettings, session_id: str, *, approved: bool
) -> bool:
    where = [*_payable(session_id), SandboxSession.awaiting_auth.eq(True)]
    if approved:
        values = {**_paid(), SandboxSession.payment_method_type: "card"}
        return bool(await transition(settings, where, values, "checkout.session.completed"))
    return bool(await transition(settings, where, {SandboxSession.awaiting_auth: False}, None))


async def pay_later(
    settings: SandboxSettings, session_id: str, buyer: Buyer, *, succeeds: bool
) -> bool:
    """Completes unpaid now; the background loop settles it settle_seconds later."""
    values = {
        **_buyer(buyer),
        SandboxSession.status: "complete",
        SandboxSession.payment_status: "unpaid",
        SandboxSession.payment_intent: new_id("pi_"),
        SandboxSession.charge: new_id("py_"),
        SandboxSession.payment_method_type: "us_bank_account",
        SandboxSession.awaiting_auth: False,
        SandboxSession.settle_at: now() + timedelta(seconds=settings.settle_seconds),
        SandboxSession.settle_outcome: "succeeded" if succeeds else "failed",
    }
    rows = await transition(settings, _payable(session_id), values, "checkout.session.completed")
    return bool(rows)


async def expire_due(settings: SandboxSettings) -> int:
    where = [
        SandboxSession.account == settings.account,
        SandboxSession.status == "open",
        SandboxSession.expires_at <= now(),
    ]
    # A cheap look first, so an idle loop never takes the write lock.
    if not await SandboxSession.exists().where(*where):
        return 0
    rows = await transition(
        settings, where, {SandboxSession.status: "expired"}, "checkout.session.expired"
    )
    return len(rows)


async def settle_due(settings: SandboxSettings) -> int:
    settled = 0
    for outcome, event_type, values in (
        (
            "succeeded",
            "checkout.session.async_payment_succeeded",
            {SandboxSession.payment_status: "paid"},
        ),
        ("failed", "checkout.session.async_payment_failed", {}),
    ):
        where = [
            SandboxSession.account == settings.account,
            SandboxSession.settle_outcome == outcome,
            SandboxSession.settle_at <= now(),
        ]
        if await SandboxSession.exists().where(*where):
            rows = await transition(
                settings, where, {**values, SandboxSession.settle_at: None}, event_type
            )
            settled += len(rows)
    return settled


def _card(card: CardUsed) -> str:
    return json.dumps(asdict(card))
