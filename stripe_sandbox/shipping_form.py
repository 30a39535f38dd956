"""The hosted page's shipping address: Stripe's field names, read, checked, and shown back."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from stripe_sandbox.fields import Fields
from stripe_sandbox.objects import Json

COUNTRIES_PATH = Path(__file__).resolve().parent / "spec" / "countries.tsv"
# Stripe's page's field names, each with the address key it fills and what a blank one says
# (None: it may be left blank).
FIELDS: dict[str, tuple[str, str | None]] = {
    "shippingName": ("name", "Enter the name to ship to."),
    "shippingAddressLine1": ("line1", "Enter the street address."),
    "shippingAddressLine2": ("line2", None),
    "shippingLocality": ("city", "Enter the city."),
    "shippingAdministrativeArea": ("state", None),
    "shippingPostalCode": ("postal_code", "Enter the postal code."),
    "shippingCountry": ("country", "Choose the country to ship to."),
}
NAMES = tuple(FIELDS)
_UNITS = {
    "business_day": ("business day", "business days"),
    "day": ("day", "days"),
    "hour": ("hour", "hours"),
    "week": ("week", "weeks"),
    "month": ("month", "months"),
}


def allowed_countries(row: Json) -> list[str] | None:
    """The countries the session ships to; None when it collects no shipping address."""
    countries: list[str] | None = (
        json.loads(row["shipping_countries"]) if row["shipping_countries"] else None
    )
    return countries


def form_fields(row: Json) -> tuple[str, ...]:
    return NAMES if row["shipping_countries"] else ()


def read_shipping(form: Fields, row: Json) -> tuple[Json | None, dict[str, str]]:
    """The address the session asks for (None, no errors when it asks for none)."""
    countries = allowed_countries(row)
    return read_address(form, countries) if countries else (None, {})


def read_address(form: Fields, countries: list[str]) -> tuple[Json | None, dict[str, str]]:
    """The address as Stripe's `shipping_details` has it, or why not, field by field.

    Fields the form reader already refused (too long, control characters) are its to explain.
    """
    text = {name: form.get(name).strip() for name in NAMES}
    errors: dict[str, str] = {}
    for name, (_, blank) in FIELDS.items():
        if blank and not text[name]:
            errors[name] = blank
    if text["shippingCountry"] and text["shippingCountry"] not in countries:
        errors["shippingCountry"] = "We can't ship to that country: choose one from the list."
    if errors or any(name in form.errors for name in NAMES):
        return None, errors
    address = {FIELDS[name][0]: text[name] or None for name in NAMES if name != "shippingName"}
    return {"address": dict(sorted(address.items())), "name": text["shippingName"]}, errors


def typed_back(form: Fields) -> dict[str, str]:
    """What the buyer typed, to fill the fields again when the page comes back with an error."""
    return {name: form.shown[name] for name in NAMES if name in form.shown}


def stored_values(details: str | None) -> dict[str, str]:
    """An address kept with the session (after a failed authentication), as the form's values."""
    if not details:
        return {}
    shipping = json.loads(details)
    address = {**shipping["address"], "name": shipping["name"]}
    return {name: address[key] or "" for name, (key, _) in FIELDS.items()}


@cache
def _country_names() -> dict[str, str]:
    lines = COUNTRIES_PATH.read_text(encoding="utf-8").splitlines()
    return dict(line.split("\t", 1) for line in lines if line and not line.startswith("#"))


def country_choices(countries: list[str]) -> list[tuple[str, str]]:
    """(code, name) for the country select: the allowed countries only, by name."""
    names = _country_names()
    return sorted(((code, names.get(code, code)) for code in countries), key=lambda c: c[1])


def delivery_estimate(rate: Json) -> str | None:
    """The estimate as the page shows it: "2 to 5 business days" (an en dash), "Up to 3 weeks"."""
    estimate = rate.get("delivery_estimate")
    if not estimate:
        return None
    low, high = estimate.get("minimum"), estimate.get("maximum")
    if low and high and low["unit"] == high["unit"]:
        if low["value"] == high["value"]:
            return _span(high)
        return f"{low['value']}\N{EN DASH}{_span(high)}"
    if low and high:
        return f"{_span(low)} to {_span(high)}"
    if high:
        return f"Up to {_span(high)}"
    return f"At least {_span(low)}" if low else None


def _span(bound: Json) -> str:
    one, many = _UNITS[bound["unit"]]
    return f"{bound['value']} {one if bound['value'] == 1 else many}"
