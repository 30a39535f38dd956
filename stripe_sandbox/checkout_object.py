"""A Checkout Session as JSON, built from its row in the newest shape (versions.py ages it)."""

from __future__ import annotations

import json
from collections.abc import Collection

from stripe_sandbox.objects import Json, item_list, unix

# What `expand[]` may name on a session here.
EXPANDABLE = frozenset(
    {"line_items", "shipping_cost.shipping_rate", "shipping_options.shipping_rate"}
)
# Stripe's answer while invoice creation is off (the 2023-08-16 description requires the hash).
_NO_INVOICE_DATA: Json = {
    "account_tax_ids": None,
    "custom_fields": None,
    "description": None,
    "footer": None,
    "metadata": {},
    "rendering_options": None,
}


def session_object(row: Json, public_url: str, *, expand: Collection[str] = ()) -> Json:
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
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": None,
        "cancel_url": row["cancel_url"],
        "client_reference_id": row["client_reference_id"],
        "client_secret": None,
        "collected_information": {
            "business_name": None,
            "individual_name": None,
            "shipping_details": _shipping_details(row) if completed else None,
        },
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
        "invoice_creation": {"enabled": False, "invoice_data": dict(_NO_INVOICE_DATA)},
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
        **_shipping(row, expand),
        "status": row["status"],
        "submit_type": extra.get("submit_type"),
        "subscription": None,
        "success_url": row["success_url"],
        "ui_mode": "hosted",
        "url": f"{public_url}/pay/{session_id}" if row["status"] == "open" else None,
    }
    if "line_items" in expand:
        body["line_items"] = item_list(
            json.loads(row["line_items"]), f"/v1/checkout/sessions/{session_id}/line_items"
        )
    return body


def shipping_rates(row: Json) -> list[Json]:
    """The session's shipping rate objects, the selected one first."""
    rates: list[Json] = json.loads(row["shipping_rates"] or "[]")
    return rates


def shipping_amount(rate: Json) -> int:
    amount: int = rate["fixed_amount"]["amount"]
    return amount


def _shipping(row: Json, expand: Collection[str]) -> Json:
    rates = shipping_rates(row)
    by_id = {rate["id"]: rate for rate in rates}
    selected = by_id.get(row["shipping_rate"]) if row["shipping_rate"] else None
    countries = json.loads(row["shipping_countries"]) if row["shipping_countries"] else None
    amount = shipping_amount(selected) if selected else 0
    cost = None
    if selected is not None:
        shown = selected if "shipping_cost.shipping_rate" in expand else selected["id"]
        cost = {
            "amount_subtotal": amount,
            "amount_tax": 0,
            "amount_total": amount,
            "shipping_rate": shown,
        }
    options_expanded = "shipping_options.shipping_rate" in expand
    return {
        "shipping_address_collection": {"allowed_countries": countries} if countries else None,
        "shipping_cost": cost,
        "shipping_options": [
            {
                "shipping_amount": shipping_amount(rate),
                "shipping_rate": rate if options_expanded else rate["id"],
            }
            for rate in rates
        ],
        "total_details": {"amount_discount": 0, "amount_shipping": amount, "amount_tax": 0},
    }


def _shipping_details(row: Json) -> Json | None:
    details: Json | None = json.loads(row["shipping_details"]) if row["shipping_details"] else None
    return details


def _customer_details(row: Json) -> Json:
    return {
        "address": None,
        "business_name": None,
        "email": row["buyer_email"],
        "individual_name": None,
        "name": row["buyer_name"],
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
