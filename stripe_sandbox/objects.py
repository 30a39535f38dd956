"""Stripe-shaped JSON for sessions, line items, charges, refunds and events, built from rows."""

from __future__ import annotations

import json
import secrets
import string
from datetime import datetime
from typing import Any

API_VERSION = "2023-08-16"
_ALPHABET = string.ascii_letters + string.digits
_NO_ADDRESS = dict.fromkeys(["city", "country", "line1", "line2", "postal_code", "state"])

Json = dict[str, Any]


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def unix(moment: datetime) -> int:
    return int(moment.timestamp())


def item_list(items: list[Json], url: str, *, has_more: bool = False) -> Json:
    return {"object": "list", "data": items, "has_more": has_more, "url": url}


def session_object(row: Json, public_url: str, *, expand_line_items: bool = False) -> Json:
    session_id = row["session_id"]
    extra = json.loads(row["extra"])
    completed = row["status"] == "complete"
    body: Json = {
        "id": session_id,
        "object": "checkout.session",
        "after_expiration": None,
        "allow_promotion_codes": None,
        "amount_subtotal": row["amount_subtotal"],
        "amount_total": row["amount_total"],
        "automatic_tax": {"enabled": False, "liability": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": row["cancel_url"],
        "client_reference_id": row["client_reference_id"],
        "client_secret": None,
        "consent": None,
        "consent_collection": None,
        "created": unix(row["created_at"]),
        "currency": row["currency"],
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_creation": extra.get("customer_creation", "if_required"),
        "customer_details": _customer_details(row) if completed else None,
        "customer_email": row["customer_email"],
        "expires_at": unix(row["expires_at"]),
        "invoice": None,
        "invoice_creation": {"enabled": False, "invoice_data": None},
        "livemode": False,
        "locale": extra.get("locale"),
        "metadata": json.loads(row["metadata"]),
        "mode": row["mode"],
        "payment_intent": row["payment_intent"],
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {},
        "payment_method_types": extra.get("payment_method_types", ["card"]),
        "payment_status": row["payment_status"],
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_details": None,
        "shipping_options": [],
        "status": row["status"],
        "submit_type": extra.get("submit_type"),
        "subscription": None,
        "success_url": row["success_url"],
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": f"{public_url}/pay/{session_id}" if row["status"] == "open" else None,
    }
    if expand_line_items:
        body["line_items"] = item_list(
            json.loads(row["line_items"]), f"/v1/checkout/sessions/{session_id}/line_items"
        )
    return body


def _customer_details(row: Json) -> Json:
    return {
        "address": None,
        "email": row["buyer_email"],
        "name": row["buyer_name"],
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }


def refund_object(row: Json) -> Json:
    return {
        "id": row["refund_id"],
        "object": "refund",
        "amount": row["amount"],
        "balance_transaction": None,
        "charge": row["charge"],
        "created": unix(row["created_at"]),
        "currency": row["currency"],
        "destination_details": {"card": {"type": "refund"}, "type": "card"},
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
        "api_version": API_VERSION,
        "created": created,
        "data": {"object": obj},
        "livemode": False,
        "pending_webhooks": pending_webhooks,
        "request": {"id": None, "idempotency_key": None},
        "type": event_type,
    }
