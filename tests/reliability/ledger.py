"""The ledger: the store's orders agree with what Stripe (the sandbox) reports, one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from tests.support.stripe_sandbox import SandboxServer, get_json

# The statuses in which an order has taken the buyer's money (a refund comes after a payment).
PAID = {"paid", "partially_refunded", "refunded"}
# Stripe's money is known to the store either as a payment or held for a person to look at.
ACCOUNTED = PAID | {"needs_review"}
ACTIVE = {"pending", "processing"}


async def newest_session(store_sandbox: SandboxServer) -> str | None:
    """A bookmark: sessions created after it belong to the test that took it."""
    page = await get_json(store_sandbox, "/v1/checkout/sessions?limit=1")
    return page["data"][0]["id"] if page["data"] else None


async def sessions_since(
    store_sandbox: SandboxServer, bookmark: str | None
) -> list[dict[str, Any]]:
    """Every session the account opened after `bookmark`, newest first, page by page."""
    sessions: list[dict[str, Any]] = []
    cursor = ""
    while True:
        page = await get_json(store_sandbox, f"/v1/checkout/sessions?limit=100{cursor}")
        for session in page["data"]:
            if session["id"] == bookmark:
                return sessions
            sessions.append(session)
        if not page["has_more"]:
            return sessions
        cursor = f"&starting_after={page['data'][-1]['id']}"


@dataclass(frozen=True)
class Ledger:
    orders: list[dict[str, Any]]
    sessions: list[dict[str, Any]]

    def problems(self) -> list[str]:
        """Everything that would mean a lost, doubled, unfounded or orphaned payment."""
        found: list[str] = []
        by_id = {s["id"]: s for s in self.sessions}
        ours = [s for s in self.sessions if s.get("metadata", {}).get("order_id")]
        owners = Counter(o["stripe_session_id"] for o in self.orders if o["stripe_session_id"])
        found += [f"session {sid} has {n} orders" for sid, n in owners.items() if n > 1]

        paid_per_order = Counter(_order_key(s) for s in ours if s["payment_status"] == "paid")
        found += [f"order {key} was paid {n} times" for key, n in paid_per_order.items() if n > 1]
        intents = Counter(o["payment_intent_id"] for o in self.orders if o["payment_intent_id"])
        found += [f"payment {pi} is on {n} orders" for pi, n in intents.items() if n > 1]

        for order in self.orders:
            if order["status"] not in PAID:
                continue
            session = by_id.get(order["stripe_session_id"] or "")
            if session is None or session["payment_status"] != "paid":
                found.append(f"order {order['id']} is {order['status']} without Stripe's word")
            elif (session["amount_total"], session["currency"]) != (
                order["total_cents"],
                order["currency"],
            ):
                found.append(f"order {order['id']} paid an amount other than its session's")

        local = {o["stripe_session_id"]: o for o in self.orders if o["stripe_session_id"]}
        for session in ours:
            order = local.get(session["id"])
            status = order["status"] if order else "no order"
            if session["payment_status"] == "paid" and status not in ACCOUNTED:
                found.append(f"session {session['id']} was paid but its order is {status}")
            if session["status"] == "open" and status not in ACTIVE:
                found.append(f"session {session['id']} is payable but its order is {status}")
        return found


def _order_key(session: dict[str, Any]) -> str:
    metadata = session["metadata"]
    return f"{metadata['order_id']}/{metadata.get('checkout_token', '')}"


def assert_consistent(orders: Iterable[dict[str, Any]], sessions: list[dict[str, Any]]) -> None:
    problems = Ledger(list(orders), sessions).problems()
    assert not problems, "the ledger does not balance:\n  " + "\n  ".join(problems)
