"""Stripe-shaped JSON for charges, refunds and events, built from rows; ids and lists."""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime
from typing import Any

from stripe_sandbox.versions import ACCOUNT_VERSION

_ALPHABET = string.ascii_letters + string.digits
_NO_ADDRESS = dict.fromkeys(["city", "country", "line1", "line2", "postal_code", "state"])

Json = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def item_list(items: list[Json], url: str, *, has_more: bool = False) -> Json:
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def refund_object(row: Json) -> Json:
    return {
        "id": row["refund_id"],
        "object": "refund",
        "amount": row["amount"],
        "balance_transaction": None,
        "charge": row["charge"],
        "created": unix(row["created_at"]),
        "currency": row["currency"],
        "metadata": json.loads(row["metadata"]),
        "payment_intent": row["payment_intent"],
        "reason": row["reason"],
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }


def charge_object(session: Json, refunds: list[Json]) -> Json:
    card = json.loads(session["card"] or "{}")
    charge_id = session["charge"]
    return {
        "id": charge_id,
        "object": "charge",
        "amount": session["amount_total"],
        "amount_captured": session["amount_total"],
        "amount_refunded": session["amount_refunded"],
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": dict(_NO_ADDRESS),
            "email": session["buyer_email"],
            "name": session["buyer_name"],
            "phone": None,
        },
        "calculated_statement_descriptor": "SANDBOX",
        "captured": True,
        "created": unix(session["created_at"]),
        "currency": session["currency"],
        "customer": None,
        "description": None,
        "disputed": False,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "outcome": {
            "network_status": "approved_by_network",
            "reason": None,
            "risk_level": "normal",
            "seller_message": "Payment complete.",
            "type": "authorized",
        },
        "paid": True,
        "payment_intent": session["payment_intent"],
        "payment_method": None,
        "payment_method_details": _method_details(session["payment_method_type"], card),
        "receipt_email": None,
        "receipt_url": None,
        "refunded": session["amount_refunded"] >= session["amount_total"],
        "refunds": item_list(refunds, f"/v1/charges/{charge_id}/refunds"),
        "status": "succeeded",
    }


def _method_details(kind: str | None, card: Json) -> Json:
    if kind == "card":
        return {"card": {**card, "country": "US", "funding": "credit"}, "type": "card"}
    return {"type": kind or "card", kind or "card": {}}


def event_object(
    event_id: str, event_type: str, obj: Json, created: int, *, pending_webhooks: int
) -> Json:
    return {
        "id": event_id,
        "object": "event",
        "api_version": ACCOUNT_VERSION,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
