"""A session's line items: checked as Checkout checks them, then built in Stripe's shape."""

from __future__ import annotations

import re

from stripe_sandbox.errors import invalid, missing, no_such
from stripe_sandbox.objects import Json, new_id

_CURRENCY = re.compile(r"[a-zA-Z]{3}")


def build_line_items(
    items: list[Json], currency: str | None, created: int
) -> tuple[str, list[Json]]:
    """The session's one currency and its lines, from the validated `line_items` parameter."""
    currencies = {currency.lower()} if currency else set()
    built = []
    for index, item in enumerate(items):
        param = f"line_items[{index}]"
        if "price" in item:
            raise no_such("price", item["price"], param=f"{param}[price]")
        for unsupported in ("tax_rates", "dynamic_tax_rates", "adjustable_quantity"):
            if unsupported in item:
                raise invalid(
                    f"The sandbox does not support {param}[{unsupported}].",
                    param=f"{param}[{unsupported}]",
                )
        if "price_data" not in item:
            raise missing(f"{param}[price_data]")
        if "quantity" not in item:
            raise missing(f"{param}[quantity]")
        if item["quantity"] < 1:
            raise invalid(
                "This value must be greater than or equal to 1.", param=f"{param}[quantity]"
            )
        price = _price_data(item["price_data"], f"{param}[price_data]")
        currencies.add(price["currency"])
        if len(currencies) > 1:
            raise invalid(
                "Checkout does not support multiple currencies.",
                param=f"{param}[price_data][currency]",
            )
        built.append(line_item({**item, "price_data": price}, price["currency"], created))
    return currencies.pop(), built


def _price_data(price: Json, param: str) -> Json:
    if "recurring" in price:
        raise invalid("Recurring prices need mode=subscription.", param=f"{param}[recurring]")
    if "product" in price:
        raise no_such("product", price["product"], param=f"{param}[product]")
    if "product_data" not in price:
        raise missing(f"{param}[product_data]")
    if not _CURRENCY.fullmatch(price["currency"]):
        raise invalid(f"Invalid currency: {price['currency'][:10]}.", param=f"{param}[currency]")
    amount = price.get("unit_amount")
    if amount is None and "unit_amount_decimal" in price:
        decimal = price["unit_amount_decimal"]
        # Money stays in whole minor units here: fractions of a cent are refused, not rounded.
        if not decimal.removesuffix(".0").lstrip("-").isdigit():
            raise invalid(
                "The sandbox takes whole minor units only.", param=f"{param}[unit_amount_decimal]"
            )
        amount = int(decimal.removesuffix(".0"))
    if amount is None:
        raise missing(f"{param}[unit_amount]")
    if amount < 0:
        raise invalid(
            "This value must be greater than or equal to 0.", param=f"{param}[unit_amount]"
        )
    return {**price, "currency": price["currency"].lower(), "unit_amount": amount}


def line_item(data: Json, currency: str, created: int) -> Json:
    """One line of a session from its validated `line_items[n]` parameters."""
    price_data = data["price_data"]
    quantity = data["quantity"]
    unit_amount = price_data["unit_amount"]
    product = price_data.get("product_data", {})
    return {
        "id": new_id("li_"),
        "object": "item",
        "amount_discount": 0,
        "amount_subtotal": unit_amount * quantity,
        "amount_tax": 0,
        "amount_total": unit_amount * quantity,
        "currency": currency,
        "description": product.get("name"),
        "price": {
            "id": new_id("price_"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": created,
            "currency": currency,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": new_id("prod_", 14),
            "recurring": None,
            "tax_behavior": price_data.get("tax_behavior", "unspecified"),
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        },
        "quantity": quantity,
    }
