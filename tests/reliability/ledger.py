"""The ledger: the store's orders agree with what Stripe (the sandbox) reports, one by one."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pytest

from app.mail.tables import Mail
from app.orders.tables import Order
from tests.support.stripe_sandbox import SandboxServer, get_json

# The statuses in which an order has taken the buyer's money (a refund comes after a payment).
PAID = {"paid", "partially_refunded", "refunded"}
# Stripe's money is known to the store either as a payment or held for a person to look at.
ACCOUNTED = PAID | {"needs_review"}
REFUNDED = {"partially_refunded", "refunded"}
ACTIVE = {"pending", "processing"}
REFUND_EVENT = "charge.refunded"


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


async def newest_refund(store_sandbox: SandboxServer) -> str | None:
    """A bookmark: refunds made after it belong to the test that took it."""
    page = await get_json(store_sandbox, f"/v1/events?type={REFUND_EVENT}&limit=1")
    return page["data"][0]["id"] if page["data"] else None


@dataclass(frozen=True)
class StripeCharge:
    """A payment as Stripe's own record tells it: charged, refunded so far, and in how many."""

    payment_intent: str
    amount: int
    currency: str
    amount_refunded: int
    refunds: int


async def charges_since(
    store_sandbox: SandboxServer, bookmark: str | None
) -> dict[str, StripeCharge]:
    """Every payment refunded after `bookmark`, by payment intent, as Stripe now holds it.

    Each refund's charge.refunded event carries the whole charge; refunds only grow, so the
    largest figure is the charge as it stands.
    """
    charges: dict[str, StripeCharge] = {}
    cursor = ""
    while True:
        path = f"/v1/events?type={REFUND_EVENT}&limit=100{cursor}"
        page = await get_json(store_sandbox, path)
        for event in page["data"]:
            if event["id"] == bookmark:
                return charges
            charge = event["data"]["object"]
            known = charges.get(charge["payment_intent"])
            if known is None or charge["amount_refunded"] > known.amount_refunded:
                charges[charge["payment_intent"]] = StripeCharge(
                    payment_intent=charge["payment_intent"],
                    amount=charge["amount"],
                    currency=charge["currency"],
                    amount_refunded=charge["amount_refunded"],
                    refunds=len(charge["refunds"]["data"]),
                )
        if not page["has_more"]:
            return charges
        cursor = f"&starting_after={page['data'][-1]['id']}"


async def charge_of(store_sandbox: SandboxServer, payment_intent: str) -> StripeCharge | None:
    """One payment's refunds at Stripe; None while it has none."""
    return (await charges_since(store_sandbox, None)).get(payment_intent)


@dataclass(frozen=True)
class Ledger:
    orders: list[dict[str, Any]]
    sessions: list[dict[str, Any]]
    # Stripe's refunds since the test began, by payment intent; None: refunds are not checked.
    charges: Mapping[str, StripeCharge] | None = field(default=None)
    # The outbox's (order_id, kind) rows; None: emails are not checked.
    mail: list[dict[str, Any]] | None = field(default=None)

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
            # What Stripe is asked for is the products and their shipping, nothing else.
            if order["total_cents"] != order["subtotal_cents"] + order["shipping_cents"]:
                found.append(
                    f"order {order['id']} totals {order['total_cents']}, not its products "
                    f"{order['subtotal_cents']} and shipping {order['shipping_cents']}"
                )
            session = by_id.get(order["stripe_session_id"] or "")
            if session is not None:
                found += _figure_problems(order, session)
            if order["status"] not in PAID:
                continue
            charged = (session or {}).get("amount_total"), (session or {}).get("currency")
            if session is None or session["payment_status"] != "paid":
                found.append(f"order {order['id']} is {order['status']} without Stripe's word")
            elif charged != (order["paid_cents"], order["paid_currency"]):
                found.append(f"order {order['id']} paid an amount other than its session's")

        local = {o["stripe_session_id"]: o for o in self.orders if o["stripe_session_id"]}
        for session in ours:
            order = local.get(session["id"])
            status = order["status"] if order else "no order"
            if session["payment_status"] == "paid" and status not in ACCOUNTED:
                found.append(f"session {session['id']} was paid but its order is {status}")
            if session["status"] == "open" and status not in ACTIVE:
                found.append(f"session {session['id']} is payable but its order is {status}")
        if self.charges is not None:
            found += self._refund_problems(self.charges, ours)
        if self.mail is not None:
            found += self._mail_problems(self.mail)
        return found

    def _mail_problems(self, mail: list[dict[str, Any]]) -> list[str]:
        """Every paid order told once that it is confirmed, every shipped one once that it left."""
        written = Counter((row["order_id"], row["kind"]) for row in mail)
        found = []
        for order in self.orders:
            if not order["buyer_email"]:
                continue
            confirmed = written[(order["id"], "confirmed")]
            # Refunded in full straight from review, an order was never confirmed.
            expected = {"paid": {1}, "partially_refunded": {1}, "refunded": {0, 1}}
            if confirmed not in expected.get(order["status"], {0}):
                found.append(
                    f"order {order['id']} ({order['status']}) has {confirmed} confirmations"
                )
            shipped = written[(order["id"], "shipped")]
            if shipped != (1 if order["fulfilment"] == "shipped" else 0):
                found.append(
                    f"order {order['id']} ({order['fulfilment']}) has {shipped} shipped emails"
                )
        return found

    def _refund_problems(
        self, charges: Mapping[str, StripeCharge], ours: list[dict[str, Any]]
    ) -> list[str]:
        """Each order's refunded amount is Stripe's, never more than it charged, and its status
        says the same; every refund Stripe made of our payments is on an order."""
        found: list[str] = []
        for order in self.orders:
            refunded, intent = order["refunded_cents"], order["payment_intent_id"]
            charge = charges.get(intent or "")
            at_stripe = charge.amount_refunded if charge else 0
            if refunded > (order["paid_cents"] or 0):
                found.append(f"order {order['id']} refunded {refunded}, more than it was paid")
            if refunded != at_stripe:
                found.append(
                    f"order {order['id']} says {refunded} refunded, Stripe {at_stripe} ({intent})"
                )
            if charge is None:
                if order["status"] in REFUNDED:
                    found.append(f"order {order['id']} is {order['status']} with no refund")
                continue
            expected = "refunded" if at_stripe >= charge.amount else "partially_refunded"
            if order["status"] != expected:
                found.append(f"order {order['id']} is {order['status']}; Stripe says {expected}")
        intents = {o["payment_intent_id"] for o in self.orders}
        found += [
            f"Stripe refunded {s['payment_intent']} but no order has that payment"
            for s in ours
            if s["payment_intent"] in charges and s["payment_intent"] not in intents
        ]
        return found


# Stripe's figures of a session beside the order's columns they must equal.
FIGURES = (
    ("products", "subtotal_cents", lambda s: s.get("amount_subtotal")),
    ("shipping", "shipping_cents", lambda s: (s.get("total_details") or {}).get("amount_shipping")),
    ("total", "total_cents", lambda s: s.get("amount_total")),
    ("currency", "currency", lambda s: s.get("currency")),
)


def _figure_problems(order: dict[str, Any], session: dict[str, Any]) -> list[str]:
    """Each of Stripe's figures for the session (products, shipping, total, currency) is the
    order's; one that differs is the owner's call, so only an order flagged for review may."""
    if order["review_reason"]:
        return []
    return [
        f"order {order['id']}'s {what} is {order[column]}, Stripe's {stripes(session)}"
        for what, column, stripes in FIGURES
        if stripes(session) != order[column]
    ]


def _order_key(session: dict[str, Any]) -> str:
    metadata = session["metadata"]
    return f"{metadata['order_id']}/{metadata.get('checkout_token', '')}"


def assert_consistent(
    orders: Iterable[dict[str, Any]],
    sessions: list[dict[str, Any]],
    charges: Mapping[str, StripeCharge] | None = None,
    mail: list[dict[str, Any]] | None = None,
) -> None:
    problems = Ledger(list(orders), sessions, charges, mail).problems()
    assert not problems, "the ledger does not balance:\n  " + "\n  ".join(problems)


@pytest.fixture
async def balanced_ledger(store_sandbox: SandboxServer) -> AsyncIterator[None]:
    """For tests outside this package: afterwards, the sessions opened and the refunds made
    during the test balance against the orders (no reconcile: the test settles its orders)."""
    sessions, refunds = await newest_session(store_sandbox), await newest_refund(store_sandbox)
    yield
    assert_consistent(
        await Order.select(),
        await sessions_since(store_sandbox, sessions),
        await charges_since(store_sandbox, refunds),
        await Mail.select(Mail.order_id, Mail.kind),
    )
