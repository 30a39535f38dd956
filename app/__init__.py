"""Corner Roastery: a small web store on Litestar, htmx 4, Piccolo and Stripe Checkout."""

import sys
from collections.abc import Sequence
from importlib.abc import MetaPathFinder
from importlib.machinery import ModuleSpec
from types import ModuleType

# Installed for other packages, imported by libraries merely because they are present, and never
# used by the store: keeping them out saves each worker about 16 MB (README "Memory").
KEPT_OUT = {
    "pydantic": "Litestar adds its pydantic plugins whenever pydantic imports; Piccolo installs it",
    "requests": "stripe-python imports it for a sync client; the store uses its async HTTPX one",
    "httpx._main": "httpx loads its command-line client (rich, pygments) whenever they are there",
}


class _KeepOut(MetaPathFinder):
    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if fullname in KEPT_OUT:
            # Libraries treat an optional import that fails as "not installed" and go without it.
            raise ModuleNotFoundError(
                f"{fullname} is kept out of the store (app/__init__.py): {KEPT_OUT[fullname]}",
                name=fullname,
            )
        return None


sys.meta_path.insert(0, _KeepOut())
