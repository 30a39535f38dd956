"""The store without its outbox, for bench only: the baseline of what the mail effect costs."""

from __future__ import annotations

from litestar import Litestar

from app.main import create_app as create_store
from app.orders import lifecycle


def create_app() -> Litestar:
    # The arrows' effects but the email: every webhook moves its order exactly as in the store.
    lifecycle.EFFECTS = tuple(e for e in lifecycle.EFFECTS if e.__name__ != "_mail")  # type: ignore[misc]
    return create_store()
