"""Links into Stripe's dashboard: for a real key's mode only, and for known kinds of id only."""

from __future__ import annotations

import re

_DASHBOARD = "https://dashboard.stripe.com"
_DASHBOARD_MODES = {"test": "/test", "live": ""}
# The objects the dashboard has a page for, by id prefix; nothing else is ever put into a link.
_DASHBOARD_PAGES = {"pi": "payments", "evt": "events"}
_DASHBOARD_ID = re.compile(r"(pi|evt)_[A-Za-z0-9]{1,250}")
_KEY_MODE = re.compile(r"[rs]k_(test|live)_")


def dashboard_base(api_key: str, api_base: str | None) -> str | None:
    """Only the key's mode is kept; a stand-in's ids (api_base set) mean nothing to Stripe."""
    mode = None if api_base else _KEY_MODE.match(api_key)
    return None if mode is None else _DASHBOARD + _DASHBOARD_MODES[mode.group(1)]


def dashboard_link(base: str | None, object_id: str) -> str | None:
    match = _DASHBOARD_ID.fullmatch(object_id)
    if base is None or match is None:
        return None
    return f"{base}/{_DASHBOARD_PAGES[match.group(1)]}/{object_id}"
