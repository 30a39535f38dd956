"""Why a Buy stored nothing: each refusal the checkout route answers with the cart again."""

from __future__ import annotations

from app.catalog.cart import Cart

PRICES_CHANGED = "Prices changed: please check the new total."
TOO_FEW_LEFT = "Not enough left for your cart: we lowered it to what is left. Please check it."


class InvalidCart(Exception):
    def __init__(self, cart: Cart, message: str | None = None) -> None:
        super().__init__(message or "invalid cart")
        self.cart = cart
        self.message = message


class CartChanged(Exception):
    """Prices or stock changed since the form was shown: nothing stored, the cart shown again."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


PRICES_CHANGED = "Prices changed: please check the new total."
TOO_FEW_LEFT = "Not enough left for your cart: we lowered it to what is left. Please check it."


class CheckoutClosed(Exception):
    """The form's checkout ended (failed, canceled, expired), or the form is not one we gave this
    visitor lately (forged, someone else's, stale): a new Buy from a fresh form starts afresh."""


class CheckoutStillPreparing(Exception):
    """A twin submission of this form is still talking to Stripe."""
