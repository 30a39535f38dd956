"""Paying a session: by card, after 3-D Secure, or by a delayed method settled later."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from app.sandbox.config import SandboxConfig
from app.sandbox.db import now
from app.sandbox.objects import Json, new_id
from app.sandbox.sessions import transition
from app.sandbox.tables import SandboxSession

S = SandboxSession


@dataclass(frozen=True, slots=True)
class Buyer:
    email: str
    name: str | None


@dataclass(frozen=True, slots=True)
class CardUsed:
    brand: str
    last4: str
    exp_month: int
    exp_year: int


async def find_session(session_id: str) -> Json | None:
    """The hosted page knows a session by its id alone, as Stripe's page does."""
    row: Json | None = await S.select(*S.all_columns()).where(S.session_id == session_id).first()
    return row


def _payable(session_id: str) -> list[Any]:
    # Past expires_at but not yet swept by the background loop still counts as expired.
    return [S.session_id == session_id, S.status == "open", S.expires_at > now()]


def _buyer(buyer: Buyer) -> dict[Any, Any]:
    return {S.buyer_email: buyer.email, S.buyer_name: buyer.name}


def _paid() -> dict[Any, Any]:
    return {
        S.status: "complete",
        S.payment_status: "paid",
        S.payment_intent: new_id("pi_"),
        S.charge: new_id("ch_"),
        S.awaiting_auth: False,
    }


async def pay_by_card(config: SandboxConfig, session_id: str, buyer: Buyer, card: CardUsed) -> bool:
    values = {**_paid(), **_buyer(buyer), S.payment_method_type: "card", S.card: _card(card)}
    rows = await transition(config, _payable(session_id), values, "checkout.session.completed")
    return bool(rows)


async def hold_for_authentication(session_id: str, buyer: Buyer, card: CardUsed) -> bool:
    values = {**_buyer(buyer), S.card: _card(card), S.awaiting_auth: True}
    rows = await S.update(values).where(*_payable(session_id)).returning(S.id)
    return bool(rows)


async def finish_authentication(config: SandboxConfig, session_id: str, *, approved: bool) -> bool:
    where = [*_payable(session_id), S.awaiting_auth.eq(True)]
    if approved:
        values = {**_paid(), S.payment_method_type: "card"}
        return bool(await transition(config, where, values, "checkout.session.completed"))
    return bool(await transition(config, where, {S.awaiting_auth: False}, None))


async def pay_later(
    config: SandboxConfig, session_id: str, buyer: Buyer, *, succeeds: bool
) -> bool:
    """Completes unpaid now; the background loop settles it settle_seconds later."""
    values = {
        **_buyer(buyer),
        S.status: "complete",
        S.payment_status: "unpaid",
        S.payment_intent: new_id("pi_"),
        S.charge: new_id("py_"),
        S.payment_method_type: "us_bank_account",
        S.awaiting_auth: False,
        S.settle_at: now() + timedelta(seconds=config.settle_seconds),
        S.settle_outcome: "succeeded" if succeeds else "failed",
    }
    rows = await transition(config, _payable(session_id), values, "checkout.session.completed")
    return bool(rows)


async def expire_due(config: SandboxConfig) -> int:
    where = [S.account == config.account, S.status == "open", S.expires_at <= now()]
    # A cheap look first, so an idle loop never takes the write lock.
    if not await S.exists().where(*where):
        return 0
    rows = await transition(config, where, {S.status: "expired"}, "checkout.session.expired")
    return len(rows)


async def settle_due(config: SandboxConfig) -> int:
    settled = 0
    for outcome, event_type, values in (
        ("succeeded", "checkout.session.async_payment_succeeded", {S.payment_status: "paid"}),
        ("failed", "checkout.session.async_payment_failed", {}),
    ):
        where = [S.account == config.account, S.settle_outcome == outcome, S.settle_at <= now()]
        if await S.exists().where(*where):
            rows = await transition(config, where, {**values, S.settle_at: None}, event_type)
            settled += len(rows)
    return settled


def _card(card: CardUsed) -> str:
    return json.dumps(asdict(card))
