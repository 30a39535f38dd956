"""The response-schema check itself: it must catch what it exists to catch."""

from __future__ import annotations

from tests.stripe_sandbox.schema import schema_problems

REFUND = {"id": "re_1", "object": "refund", "amount": 500, "created": 1, "currency": "usd"}


def test_a_plain_refund_passes_and_each_kind_of_mistake_is_caught() -> None:
    assert schema_problems({**REFUND, "charge": "ch_1", "metadata": {}}, "refund") == []

    wrong = {**REFUND, "amount": "500", "object": "charge", "colour": "blue", "status": True}
    del wrong["created"]

    assert sorted(schema_problems(wrong, "refund")) == [
        "refund.amount: '500' is not of type integer",
        "refund.colour: not a property Stripe's schema has",
        "refund.created: missing",
        "refund.object: 'charge' is not one of ['refund']",
        "refund.status: True is not of type string",
    ]


def test_an_expanded_charge_is_checked_as_a_charge() -> None:
    charge = {"id": "ch_1", "object": "charge", "amount_refunded": 500, "refunded": "no"}

    problems = schema_problems({**REFUND, "charge": charge}, "refund")

    assert "refund.charge.refunded: 'no' is not of type boolean" in problems
    assert "refund.charge.billing_details: missing" in problems
    assert schema_problems({**REFUND, "payment_intent": {"id": "pi_1"}}, "refund") == [
        "refund.payment_intent: no copy of Stripe's 'payment_intent' schema to check it against"
    ]
