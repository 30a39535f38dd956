"""Stripe's test cards and the hosted form's checks, with messages in words for buyers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from stripe_sandbox.payments import CardUsed

_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_EXPIRY = re.compile(r"(\d{1,2})\s*/\s*(\d{2}|\d{4})")

# Stripe's documented test numbers; any other valid number is refused, as in Stripe's test mode.
APPROVED = {
    "4242424242424242": "visa",
    "4000056655665556": "visa",
    "5555555555554444": "mastercard",
    "378282246310005": "amex",
}
DECLINED = {
    "4000000000000002": ("generic_decline", "Your card was declined."),
    "4000000000009995": ("insufficient_funds", "Your card has insufficient funds."),
    "4000000000000069": ("expired_card", "Your card has expired."),
}
AUTHENTICATE = {"4000000000003220": "visa"}
NOT_A_TEST_CARD = (
    "card_declined",
    "Your card was declined. Your request was in test mode, but used a non test card. "
    "For a list of valid test cards, visit: https://stripe.com/docs/testing.",
)
AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)
# Each decline by the code the pay page is sent back to after it (post/redirect/get).
DECLINE_MESSAGES = {
    **dict(DECLINED.values()),
    NOT_A_TEST_CARD[0]: NOT_A_TEST_CARD[1],
    "authentication_failed": AUTHENTICATION_FAILED,
}


@dataclass(frozen=True, slots=True)
class CardForm:
    email: str
    name: str
    number: str
    expiry: str
    cvc: str


@dataclass(frozen=True, slots=True)
class Verdict:
    """What the form leads to: field errors, a decline, a 3-D Secure step, or a payment."""

    errors: dict[str, str]
    card: CardUsed | None = None
    decline: tuple[str, str] | None = None
    authenticate: bool = False


def check_email(email: str) -> str | None:
    if not _EMAIL.fullmatch(email) or len(email) > 254:
        return "Your email address is incomplete or invalid."
    return None


def judge(form: CardForm, today: date) -> Verdict:
    errors: dict[str, str] = {}
    if message := check_email(form.email):
        errors["email"] = message
    number = re.sub(r"[\s-]", "", form.number)
    if not number.isascii() or not number.isdigit() or not 13 <= len(number) <= 19:
        errors["cardNumber"] = "Your card number is incomplete."
    elif not _luhn(number):
        errors["cardNumber"] = "Your card number is invalid."
    expiry = _expiry(form.expiry, today)
    if isinstance(expiry, str):
        errors["cardExpiry"] = expiry
    cvc = form.cvc.strip()
    if not cvc.isascii() or not cvc.isdigit() or not 3 <= len(cvc) <= 4:
        errors["cardCvc"] = "Your card's security code is incomplete."
    if not form.name.strip():
        errors["billingName"] = "Enter the name on the card."
    if errors or isinstance(expiry, str):
        return Verdict(errors=errors)
    month, year = expiry
    if number in DECLINED:
        return Verdict(errors={}, decline=DECLINED[number])
    brand = APPROVED.get(number) or AUTHENTICATE.get(number)
    if brand is None:
        return Verdict(errors={}, decline=NOT_A_TEST_CARD)
    card = CardUsed(brand=brand, last4=number[-4:], exp_month=month, exp_year=year)
    return Verdict(errors={}, card=card, authenticate=number in AUTHENTICATE)


def _expiry(text: str, today: date) -> tuple[int, int] | str:
    match = _EXPIRY.fullmatch(text.strip())
    if not match:
        return "Your card's expiration date is incomplete."
    month, year = int(match.group(1)), int(match.group(2))
    year = year + 2000 if year < 100 else year
    if not 1 <= month <= 12:
        return "Your card's expiration date is invalid."
    if (year, month) < (today.year, today.month):
        return "Your card's expiration year is in the past."
    if year > today.year + 50:
        return "Your card's expiration year is invalid."
    return month, year


def _luhn(number: str) -> bool:
    total = 0
    for index, digit in enumerate(int(char) for char in reversed(number)):
        if index % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0
