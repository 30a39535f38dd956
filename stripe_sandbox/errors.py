"""Stripe's error shape: {"error": {type, code, param, message}} with Stripe's status codes."""

from __future__ import annotations

import re
from typing import Any

# The ids this sandbox hands out are letters, digits and "_": anything else (a NUL, a megabyte)
# names nothing, and is answered without asking a database that may choke on it.
_ID = re.compile(r"[A-Za-z0-9_]{1,255}")


class StripeError(Exception):
    """An API answer that is an error; raised anywhere below a route, rendered by the pipeline."""

    def __init__(
        self,
        status_code: int,
        message: str,
        *,
        type: str = "invalid_request_error",
        code: str | None = None,
        param: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.type = type
        self.code = code
        self.param = param
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"type": self.type, "message": self.message}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{self.code.replace('_', '-')}"
        if self.param:
            error["param"] = self.param
        return {"error": error}


def invalid(message: str, *, param: str | None = None, code: str | None = None) -> StripeError:
    return StripeError(400, message, param=param, code=code)


def missing(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def plausible_id(object_id: str) -> bool:
    return _ID.fullmatch(object_id) is not None


def no_such(kind: str, object_id: str, *, param: str | None = None) -> StripeError:
    # Ids come from the caller; cap what is echoed back.
    return StripeError(
        404, f"No such {kind}: '{object_id[:80]}'", param=param, code="resource_missing"
    )


def api_error() -> StripeError:
    return StripeError(
        500,
        "An unknown error occurred. Please retry your request.",
        type="api_error",
        headers={"Stripe-Should-Retry": "true"},
    )
