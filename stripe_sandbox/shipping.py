"""Shipping at creation: the countries a buyer may ship to and the rates offered, Stripe's way.

The parameters arrive already checked against Stripe's description (types, the country and unit
enums, required fields, unknown names); what is checked here is what the description cannot say.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from stripe_sandbox.errors import invalid, missing, no_such, plausible_id
from stripe_sandbox.money import MAX_AMOUNT
from stripe_sandbox.objects import Json, new_id
from stripe_sandbox.tables import SandboxShippingRate

# "The shipping rate options to apply to this Session. Up to a maximum of 5."
MAX_OPTIONS = 5
_ALL = SandboxShippingRate.all_columns()


@dataclass(frozen=True, slots=True)
class Shipping:
    """What a new session ships to and charges for it: the first rate is the one selected."""

    countries: list[str] | None = None
    rates: list[Json] = field(default_factory=list)
    # Made from shipping_rate_data: stored with the session, so later sessions can name them.
    new_rates: list[Json] = field(default_factory=list)

    @property
    def amount(self) -> int:
        return int(self.rates[0]["fixed_amount"]["amount"]) if self.rates else 0


async def build_shipping(account: str, params: Json, currency: str, created: int) -> Shipping:
    countries = None
    if "shipping_address_collection" in params:
        asked: list[str] = params["shipping_address_collection"]["allowed_countries"]
        if not asked:
            raise missing("shipping_address_collection[allowed_countries]")
        # Each country once, in the order given.
        countries = list(dict.fromkeys(asked))
    options: list[Json] = params.get("shipping_options", [])
    if len(options) > MAX_OPTIONS:
        raise invalid(
            f"Invalid shipping_options: must have at most {MAX_OPTIONS} items.",
            param="shipping_options",
        )
    rates, new_rates = [], []
    for index, option in enumerate(options):
        param = f"shipping_options[{index}]"
        if ("shipping_rate" in option) == ("shipping_rate_data" in option):
            if not option:
                raise missing(f"{param}[shipping_rate]")
            raise invalid(
                "You may only specify one of these parameters: shipping_rate, shipping_rate_data.",
                param=f"{param}[shipping_rate_data]",
            )
        if "shipping_rate" in option:
            named = f"{param}[shipping_rate]"
            rate = await _stored_rate(account, option["shipping_rate"], named)
        else:
            rate = _rate(option["shipping_rate_data"], f"{param}[shipping_rate_data]", created)
            named = f"{param}[shipping_rate_data][fixed_amount][currency]"
            new_rates.append(rate)
        _same_currency(rate, currency, named)
        rates.append(rate)
    return Shipping(countries=countries, rates=rates, new_rates=new_rates)


async def store_rates(account: str, shipping: Shipping) -> None:
    rows = [
        SandboxShippingRate(account=account, rate_id=rate["id"], payload=json.dumps(rate))
        for rate in shipping.new_rates
    ]
    if rows:
        await SandboxShippingRate.insert(*rows)


async def _stored_rate(account: str, rate_id: str, param: str) -> Json:
    query = SandboxShippingRate.select(*_ALL).where(
        SandboxShippingRate.account == account, SandboxShippingRate.rate_id == rate_id
    )
    row = await query.first() if plausible_id(rate_id) else None
    if row is None:
        raise no_such("shipping rate", rate_id, param=param)
    rate: Json = json.loads(row["payload"])
    return rate


def _rate(data: Json, param: str, created: int) -> Json:
    """A shipping rate object from validated `shipping_rate_data`."""
    if "tax_code" in data:
        # Stripe's tax codes are objects this sandbox does not have.
        raise invalid(
            f"The sandbox does not support {param}[tax_code].", param=f"{param}[tax_code]"
        )
    if "fixed_amount" not in data:
        raise missing(f"{param}[fixed_amount]")
    fixed = data["fixed_amount"]
    if "currency_options" in fixed:
        raise invalid(
            f"The sandbox does not support {param}[fixed_amount][currency_options].",
            param=f"{param}[fixed_amount][currency_options]",
        )
    if fixed["amount"] < 0:
        raise invalid(
            "This value must be greater than or equal to 0.",
            param=f"{param}[fixed_amount][amount]",
        )
    if fixed["amount"] > MAX_AMOUNT:
        raise invalid(
            f"This value must be less than or equal to {MAX_AMOUNT}.",
            param=f"{param}[fixed_amount][amount]",
            code="amount_too_large",
        )
    estimate = _estimate(data.get("delivery_estimate"), f"{param}[delivery_estimate]")
    return {
        "id": new_id("shr_"),
        "object": "shipping_rate",
        "active": True,
        "created": created,
        "delivery_estimate": estimate,
        "display_name": data["display_name"],
        "fixed_amount": {"amount": fixed["amount"], "currency": fixed["currency"].lower()},
        "livemode": False,
        "metadata": data.get("metadata", {}),
        "tax_behavior": data.get("tax_behavior", "unspecified"),
        "tax_code": None,
        "type": data.get("type", "fixed_amount"),
    }


def _estimate(estimate: Json | None, param: str) -> Json | None:
    if estimate is None:
        return None
    bounds = {}
    for end in ("maximum", "minimum"):
        bound = estimate.get(end)
        if bound is not None and bound["value"] <= 0:
            raise invalid("This value must be greater than 0.", param=f"{param}[{end}][value]")
        bounds[end] = bound
    low, high = bounds["minimum"], bounds["maximum"]
    if low and high and low["unit"] == high["unit"] and low["value"] > high["value"]:
        raise invalid(
            "The minimum delivery estimate must not be greater than the maximum.",
            param=f"{param}[minimum][value]",
        )
    return bounds


def _same_currency(rate: Json, currency: str, param: str) -> None:
    if (shipped_in := rate["fixed_amount"]["currency"]) != currency:
        raise invalid(
            f"The shipping rate's currency ({shipped_in[:10]}) must match the currency of the "
            f"Checkout Session ({currency}).",
            param=param,
        )
