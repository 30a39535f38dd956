"""API versions: which one a request asks for, and a Checkout Session in that version's shape.

The sandbox builds every session in the newest shape it knows; `session_at` takes away what an
older version does not have, by the dates of Stripe's changelog:

- 2025-02-24 (acacia) added `collected_information` (with `shipping_details`);
- 2025-03-31 (basil) removed the top-level `shipping_details`;
- 2025-09-30 (clover) added `business_name` and `individual_name` to `collected_information`
  and `customer_details`.

Stripe also shows fields it added since to requests of any older version. The sandbox shows them
only to versions after 2023-08-16, the version of the published description its answers are
checked against: in the 2023-08-16 shape a session is exactly that description, field for field.

The account's own version (ACCOUNT_VERSION) answers a request that sends no Stripe-Version and
renders every event, as Stripe renders events at the account's version: so a webhook's
`data.object` is in the 2023-08-16 shape (top-level `shipping_details`), while stripe-python 16,
which sends 2026-10-28.endive, reads `collected_information.shipping_details`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from stripe_sandbox.errors import invalid

ACCOUNT_VERSION = "2023-08-16"
_DESCRIBED = "2023-08-16"
_COLLECTED = "2025-02-24"
_MOVED = "2025-03-31"
_NAMES = "2025-09-30"
# "2026-10-28.endive", "2023-08-16", and with Stripe's beta headers: "…; checkout_beta=v1".
_VERSION = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})(?:\.[a-z]{1,30})?(?:; ?[a-z0-9_]{1,60}=v[0-9]{1,3})*"
)
# Not in the 2023-08-16 description: (where, fields).
_ADDED_SINCE = (
    ((), ("client_secret", "payment_method_configuration_details", "ui_mode")),
    (("automatic_tax",), ("liability", "provider")),
    (("custom_text",), ("after_submit", "terms_of_service_acceptance")),
)
_NAME_FIELDS = ("business_name", "individual_name")

Json = dict[str, Any]


def requested_version(header: str | None) -> str:
    """The Stripe-Version header's version; the account's own when there is none."""
    if header is None:
        return ACCOUNT_VERSION
    match = _VERSION.fullmatch(header.strip())
    if match is None or not _is_date(match.group(1)):
        raise invalid(f"Invalid Stripe API version: {header[:40]}")
    return match.group(1)


def _is_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return True


def render(body: Json, version: str) -> Json:
    """An API answer at `version`: its sessions (alone or in a list) reshaped, the rest as is.

    Events keep the version they were rendered at, as at Stripe.
    """
    if body.get("object") == "checkout.session":
        return session_at(body, version)
    if body.get("object") == "list":
        return {**body, "data": [render(item, version) for item in body["data"]]}
    return body


def session_at(body: Json, version: str) -> Json:
    day = version[:10]
    shaped = dict(body)
    collected: Json = body["collected_information"]
    if day < _MOVED:
        shaped["shipping_details"] = collected["shipping_details"]
    if day < _NAMES:
        shaped["collected_information"] = _without(collected, _NAME_FIELDS)
        if body["customer_details"] is not None:
            shaped["customer_details"] = _without(body["customer_details"], _NAME_FIELDS)
    if day < _COLLECTED:
        del shaped["collected_information"]
    if day <= _DESCRIBED:
        for where, fields in _ADDED_SINCE:
            if where:
                shaped[where[0]] = _without(shaped[where[0]], fields)
            else:
                shaped = _without(shaped, fields)
    # Stripe's answers list their fields in alphabetical order.
    return dict(sorted(shaped.items()))


def _without(obj: Json, fields: tuple[str, ...]) -> Json:
    return {key: value for key, value in obj.items() if key not in fields}
