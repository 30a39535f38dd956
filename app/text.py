"""visible: text from outside (Stripe's shipping form) shown so that it reads as it is stored."""

from __future__ import annotations

import unicodedata

# The marker stands in for the character: it names it, and it cannot reorder or hide anything.
MARKER = "[U+{:04X}]"
# Format (bidirectional overrides and isolates, zero-width spaces and joiners, the byte order
# mark …), control, and line and paragraph separators: none prints as itself on a label.
HIDDEN = frozenset({"Cf", "Cc", "Zl", "Zp"})


def visible(text: str, lines: bool = False) -> str:
    """`text` with each invisible formatting or control character replaced by its code
    ("\\u202eevil" → "[U+202E]evil"): a label cannot read otherwise than what was stored.
    `lines`: a text of several lines (an email's body) keeps its line breaks."""
    if text.isprintable():  # the usual case: Python counts all of HIDDEN as unprintable
        return text
    return "".join(
        MARKER.format(ord(c))
        if unicodedata.category(c) in HIDDEN and not (lines and c == "\n")
        else c
        for c in text
    )
