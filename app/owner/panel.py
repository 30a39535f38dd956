"""The owner's order panel as a page: one order, and what the last action said beside its form."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from app.owner.actions import Confirm, Refused
from app.owner.queries import OrderDetail
from app.owner.sessions import Owner


@dataclass(frozen=True, slots=True)
class OrderPanel:
    """One order as the owner sees it, with what the last action said."""

    detail: OrderDetail
    stripe_link: Callable[[str], str | None]
    owner: Owner
    notice: str | None = None
    refused: Refused | None = None  # why the last action did not go through
    confirm: Confirm | None = None  # what the owner is asked to confirm before it is done

    @property
    def status_code(self) -> int:
        return self.refused.status if self.refused else 200

    def context(self) -> dict[str, Any]:
        refused, confirm = self.refused, self.confirm
        typed = dict(refused.typed if refused else confirm.typed if confirm else {})
        said = {f"{refused.form}_error": refused.message} if refused else {}
        return {
            "detail": self.detail,
            "order": self.detail.order,
            "stripe_link": self.stripe_link,
            "owner": self.owner,
            "notice": self.notice,
            "refund_error": None,
            "accept_error": None,
            "ship_error": None,
            **said,
            "ship_field": refused.field if refused else None,
            "amount": typed.get("amount"),
            "refund_review": confirm.amount if confirm else None,
            "restock": typed.get("restock") == "on",
            "carrier": typed.get("carrier", ""),
            "tracking_number": typed.get("tracking_number", ""),
            # A new token per rendered form: its submits (however many) are one refund. One
            # whose answer from Stripe is unknown is kept, so a retry is the same refund.
            "refund_token": typed.get("form_token") or secrets.token_urlsafe(16),
        }
