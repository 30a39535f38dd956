"""What the hosted routes answer: the pay page and others with the session's CSP, or a redirect."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urlencode, urlsplit

from litestar.response import Redirect, Response

from stripe_sandbox import shipping_form
from stripe_sandbox.checkout_object import shipping_rates
from stripe_sandbox.headers import page_policy
from stripe_sandbox.objects import Json
from stripe_sandbox.pages import Pages
from stripe_sandbox.runtime import AnyRequest

PageResponse = Response[Any]


def pay_page(
    pages: Pages, request: AnyRequest, row: Json, *, status: int = 200, **context: Any
) -> PageResponse:
    context.setdefault("values", {"email": row["customer_email"] or ""})
    countries = shipping_form.allowed_countries(row)
    rates = shipping_rates(row)
    shipping = {
        # The select lists the allowed countries only, by name; the first one given is chosen.
        "countries": shipping_form.country_choices(countries) if countries else None,
        "default_country": countries[0] if countries else None,
        "rate": rates[0] if rates else None,
        "delivery": shipping_form.delivery_estimate(rates[0]) if rates else None,
    }
    return render(pages, request, "pay.html", row, {"shipping": shipping, **context}, status=status)


def render(
    pages: Pages,
    request: AnyRequest,
    name: str,
    row: Json,
    context: dict[str, Any],
    *,
    status: int = 200,
) -> PageResponse:
    session_id = row["session_id"]
    full = {
        "session": row,
        "items": json.loads(row["line_items"]),
        "errors": {},
        "later_errors": {},
        "back_url": back_url(row),
        "pay_url": request.app.route_reverse("sandbox-pay-card", session_id=session_id),
        "later_url": request.app.route_reverse("sandbox-pay-later", session_id=session_id),
        "auth_url": request.app.route_reverse("sandbox-authenticate-answer", session_id=session_id),
        **context,
    }
    return pages.render(request, name, full, status_code=status, headers=csp(row))


def see(request: AnyRequest, route: str, session_id: str) -> PageResponse:
    return Redirect(request.app.route_reverse(route, session_id=session_id), status_code=303)


def success(row: Json) -> PageResponse:
    url = _fill(row["success_url"], row["session_id"])
    return Redirect(url, status_code=303, headers=csp(row))


def _fill(url: str, session_id: str) -> str:
    """Stripe's template variable, filled in on the way back to the shop (success and cancel)."""
    return url.replace("{CHECKOUT_SESSION_ID}", session_id)


def back_url(row: Json) -> str | None:
    return _fill(row["cancel_url"], row["session_id"]) if row["cancel_url"] else None


def csp(row: Json) -> dict[str, str]:
    """Chromium checks form-action on the redirect after a post: allow the shop's own origins."""
    origins = {_origin(row["success_url"]), _origin(row["cancel_url"])} - {None}
    return {"Content-Security-Policy": page_policy(sorted(o for o in origins if o))}


def _origin(url: str | None) -> str | None:
    if not url:
        return None
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else None


def authentication(
    pages: Pages, request: AnyRequest, row: Json, *, errors: dict[str, str], status: int = 200
) -> PageResponse:
    """The 3-D Secure stand-in, while the session waits for it; the pay page otherwise."""
    if not row["awaiting_auth"]:
        return see(request, "sandbox-pay", row["session_id"])
    context = {"card": json.loads(row["card"]), "errors": errors}
    return render(pages, request, "authenticate.html", row, context, status=status)


# What the buyer typed (never the card), kept for the pay page a failed payment returns to.
TYPED_COOKIE = "sandbox_typed"
_TYPED_MAX = 2048  # bytes: beyond it the fields start empty rather than risk a refused cookie


def after_decline(
    request: AnyRequest, row: Json, code: str, values: dict[str, str]
) -> PageResponse:
    """Post/redirect/get: back to the pay page, which says why; Back and reload post nothing."""
    page = request.app.route_reverse("sandbox-pay", session_id=row["session_id"])
    response = Redirect(f"{page}?{urlencode({'declined': code})}", status_code=303)
    response.headers.update(csp(row))
    kept = base64.urlsafe_b64encode(json.dumps(values).encode()).decode()
    if len(kept) <= _TYPED_MAX:
        response.set_cookie(
            TYPED_COOKIE, kept, path=page, max_age=600, httponly=True, samesite="strict"
        )
    return response


def typed_back(request: AnyRequest) -> dict[str, str] | None:
    """The values `after_decline` kept for this page, if any (anything malformed is ignored)."""
    raw = request.cookies.get(TYPED_COOKIE)
    if not raw:
        return None
    try:
        values = json.loads(base64.urlsafe_b64decode(raw.encode()))
    except (ValueError, binascii.Error):
        return None
    if not isinstance(values, dict):
        return None
    return {str(k): v for k, v in values.items() if isinstance(v, str)}
