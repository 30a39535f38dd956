"""Stripe's form encoding read in one linear pass: `a[b][0]=v` pairs into a tree, within limits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import parse_qsl

from stripe_sandbox.errors import StripeError, invalid

# Stripe's own deepest parameter is 6 brackets down; 10 leaves room and bounds every walk.
MAX_DEPTH = 10
# A metadata key is at most 40 characters: no honest name comes near this.
MAX_NAME_LENGTH = 500
MAX_PARAMS = 2000

Tree = dict[str, Any]


def decode(raw: bytes) -> list[tuple[str, str]]:
    """A body's (or query string's) pairs in order; refused whole if Stripe would refuse it."""
    try:
        return parse_qsl(
            raw.decode(),
            keep_blank_values=True,
            errors="strict",
            # Counted before anything is split, so a flood costs one scan.
            max_num_fields=MAX_PARAMS,
        )
    except UnicodeDecodeError:
        raise StripeError(400, "Request parameters must be UTF-8.") from None
    except ValueError:
        raise invalid(f"Too many parameters: a request may have at most {MAX_PARAMS}.") from None


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> Tree:
    """`a[b][0][c]=v` pairs into nested dicts; lists stay dicts keyed "0", "1", … until checked."""
    root: Tree = {}
    for name, value in pairs:
        keys = _keys(name)
        if "\0" in value:
            raise invalid(
                f"Invalid {name}: parameters may not contain NUL (\\u0000) characters.", param=name
            )
        node = root
        for depth, key in enumerate(keys):
            if key == "":
                # `expand[]=a&expand[]=b`: each empty index appends.
                key = str(len(node))
            if depth == len(keys) - 1:
                if isinstance(node.get(key), dict):
                    path = _name(keys[: depth + 1])
                    raise invalid(
                        f"Invalid value for {path}: expected a hash or array.", param=path
                    )
                node[key] = value
                break
            child = node.setdefault(key, {})
            if not isinstance(child, dict):
                path = _name(keys[: depth + 1])
                raise invalid(
                    f"Invalid value for {path}: sent both a value and a hash.", param=path
                )
            node = child
    return root


def _keys(name: str) -> list[str]:
    """`a[b][c]` as ["a", "b", "c"]: the bounds first, each a single scan, then one split."""
    base, bracket, rest = name.partition("[")
    shown = base[:100]
    if name.count("[") > MAX_DEPTH:
        raise invalid(
            f"Invalid parameter name: {name[:100]}...; parameters can be nested at most "
            f"{MAX_DEPTH} levels deep.",
            param=shown,
        )
    if len(name) > MAX_NAME_LENGTH:
        raise invalid(
            f"Invalid parameter name: {name[:100]}...; must be at most {MAX_NAME_LENGTH} "
            "characters.",
            param=shown,
        )
    keys = [base, *rest[:-1].split("][")] if bracket else [base]
    well_formed = (
        base
        and "]" not in base
        and "\0" not in name
        and (not bracket or rest.endswith("]"))
        and not any("[" in key or "]" in key for key in keys[1:])
    )
    if not well_formed:
        raise invalid(f"Invalid parameter name: {name[:100]}", param=name[:100])
    return keys


def _name(keys: list[str]) -> str:
    return keys[0] + "".join(f"[{key}]" for key in keys[1:])
