"""Refunds of a paid session's payment, full or partial, each announced by charge.refunded."""

from __future__ import annotations

import json

from stripe_sandbox.database import now, write_transaction
from stripe_sandbox.errors import StripeError, invalid, no_such
from stripe_sandbox.events import record_event
from stripe_sandbox.money import money
from stripe_sandbox.objects import Json, charge_object, new_id, refund_object
from stripe_sandbox.settings import SandboxSettings
from stripe_sandbox.tables import SandboxRefund, SandboxSession
from stripe_sandbox.validation import expansions

_ATTEMPTS = 5
_EXPANDABLE = frozenset({"charge"})


async def create_refund(settings: SandboxSettings, params: Json) -> Json:
    expand_charge = "charge" in expansions(params, _EXPANDABLE)
    for _ in range(_ATTEMPTS):
        session = await _paid_session(settings.account, params)
        amount = _amount(session, params.get("amount"))
        made = await _apply(settings, session, amount, params)
        if made is not None:
            refund, charge = made
            # As Stripe expands it: the charge as it stands with this refund applied.
            return {**refund, "charge": charge} if expand_charge else refund
    raise StripeError(
        409, "Another refund of this payment was being made; please retry.", code="lock_timeout"
    )


async def _paid_session(account: str, params: Json) -> Json:
    if "payment_intent" in params:
        column, value, param = (
            SandboxSession.payment_intent,
            params["payment_intent"],
            "payment_intent",
        )
    elif "charge" in params:
        column, value, param = SandboxSession.charge, params["charge"], "charge"
    else:
        raise invalid(
            "One of the following params should be provided for this request: "
            "payment_intent or charge."
        )
    session: Json | None = (
        await SandboxSession.select(*SandboxSession.all_columns())
        .where(SandboxSession.account == account, column == value)
        .first()
    )
    if session is None:
        raise no_such(param, value, param=param)
    if session["payment_status"] != "paid":
        raise invalid(
            f"This PaymentIntent ({session['payment_intent']}) does not have a successful charge "
            "to refund.",
            param=param,
        )
    return session


def _amount(session: Json, requested: int | None) -> int:
    remaining: int = session["amount_total"] - session["amount_refunded"]
    if remaining <= 0:
        raise invalid(
            f"Charge {session['charge']} has already been refunded.", code="charge_already_refunded"
        )
    if requested is None:
        return remaining
    if requested < 1:
        raise invalid("Refund amount must be a positive integer.", param="amount")
    if requested > remaining:
        currency = session["currency"]
        raise invalid(
            f"Refund amount ({money(requested, currency)}) is greater than unrefunded "
            f"amount on charge ({money(remaining, currency)})",
            param="amount",
            code="amount_too_large",
        )
    return requested


async def _apply(
    settings: SandboxSettings, session: Json, amount: int, params: Json
) -> tuple[Json, Json] | None:
    """The refund and its charge; None when another refund changed the total since it was read."""
    async with write_transaction():
        rows = (
            await SandboxSession.update(
                {SandboxSession.amount_refunded: SandboxSession.amount_refunded + amount}
            )
            .where(
                SandboxSession.id == session["id"],
                SandboxSession.amount_refunded == session["amount_refunded"],
            )
            .returning(*SandboxSession.all_columns())
        )
        if not rows:
            return None
        inserted = await SandboxRefund.insert(
            SandboxRefund(
                account=session["account"],
                refund_id=new_id("re_"),
                session_id=session["session_id"],
                payment_intent=session["payment_intent"],
                charge=session["charge"],
                amount=amount,
                currency=session["currency"],
                reason=params.get("reason"),
                metadata=json.dumps(params.get("metadata") or {}),
                created_at=now(),
            )
        ).returning(*SandboxRefund.all_columns())
        refunds = (
            await SandboxRefund.select(*SandboxRefund.all_columns())
            .where(SandboxRefund.charge == session["charge"])
            .order_by(SandboxRefund.id, ascending=False)
        )
        charge = charge_object(rows[0], [refund_object(row) for row in refunds])
        await record_event(session["account"], "charge.refunded", charge, settings.webhook_url)
    return refund_object(inserted[0]), charge
