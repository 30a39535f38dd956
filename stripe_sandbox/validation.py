"""Form-encoded parameters checked against Stripe's published request schemas, by walking them."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import Any

from stripe_sandbox.errors import StripeError, invalid
from stripe_sandbox.params import Tree, parse_pairs

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "request_schemas.json"
_INTEGER = re.compile(r"-?[0-9]{1,19}")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")
_INT64 = 2**63 - 1
# Stripe's limits on every metadata hash, wherever it sits in a request.
METADATA_KEYS, METADATA_KEY_LENGTH, METADATA_VALUE_LENGTH = 50, 40, 500


@cache
def schemas() -> dict[str, Tree]:
    operations: dict[str, Tree] = json.loads(SPEC_PATH.read_text())["operations"]
    return operations


def validate_request(operation: str, pairs: Iterable[tuple[str, str]]) -> Tree:
    """The typed parameters of `operation` (e.g. "POST /v1/refunds"), or a StripeError."""
    cleaned = _check(schemas()[operation], parse_pairs(pairs), "")
    assert isinstance(cleaned, dict)
    return cleaned


def expansions(params: Tree, supported: frozenset[str]) -> set[str]:
    """The `expand[]` paths asked for; one this sandbox cannot expand is refused as Stripe would."""
    asked: list[str] = params.get("expand", [])
    for index, path in enumerate(asked):
        if path not in supported:
            raise invalid(
                f"This property cannot be expanded ({path[:80]}).", param=f"expand[{index}]"
            )
    return set(asked)


def _child(param: str, key: str) -> str:
    return f"{param}[{key}]" if param else key


def _check(schema: Tree, value: Any, param: str) -> Any:
    if "anyOf" in schema:
        return _any_of(schema["anyOf"], value, param)
    kind = schema.get("type", "string")
    if kind == "object":
        return _object(schema, value, param)
    if kind == "array":
        return _array(schema, value, param)
    if isinstance(value, dict):
        raise invalid(f"Invalid {param}: expected a {kind}, got a hash.", param=param)
    if kind == "integer":
        return _integer(value, param)
    if kind == "boolean":
        if value not in {"true", "false"}:
            raise invalid(f"Invalid boolean: {value[:100]}", param=param)
        return value == "true"
    return _string(schema, value, param)


def _any_of(options: list[Tree], value: Any, param: str) -> Any:
    errors: list[tuple[bool, StripeError]] = []
    for option in options:
        try:
            return _check(option, value, param)
        except StripeError as error:
            # Report the branch shaped like the value (a hash for hashes), not an arbitrary one.
            shaped = (option.get("type") in {"object", "array"}) == isinstance(value, dict)
            errors.append((not shaped, error))
    raise min(errors, key=lambda pair: pair[0])[1]


def _object(schema: Tree, value: Any, param: str) -> Tree:
    if not isinstance(value, dict):
        raise invalid(
            f"Invalid hash: {param} must be a hash (e.g. {param}[key]=value).", param=param
        )
    properties: Tree = schema.get("properties", {})
    extra = schema.get("additionalProperties", False)
    cleaned: Tree = {}
    for key in value:
        if key not in properties and not isinstance(extra, dict):
            name = _child(param, key)
            raise invalid(
                f"Received unknown parameter: {name[:200]}",
                param=name[:200],
                code="parameter_unknown",
            )
    required = set(schema.get("required", ()))
    for key, item in value.items():
        name = _child(param, key)
        sub: Tree = properties[key] if key in properties else extra  # noqa: SIM401
        if item == "" and not _accepts_empty(sub):
            if key in required:
                raise invalid(
                    f"You passed an empty string for '{name}'. We assume empty values are an "
                    f"attempt to unset a parameter; however '{name}' cannot be unset. You should "
                    f"remove '{name}' from your request or supply a non-empty value.",
                    param=name,
                    code="parameter_invalid_empty",
                )
            continue
        if key == "metadata" and isinstance(item, dict):
            _metadata(item, name)
        cleaned[key] = _check(sub, item, name)
    for key in sorted(required - cleaned.keys()):
        name = _child(param, key)
        raise invalid(f"Missing required param: {name}.", param=name, code="parameter_missing")
    return cleaned


def _metadata(metadata: Tree, param: str) -> None:
    if len(metadata) > METADATA_KEYS:
        raise invalid(
            f"Invalid metadata: metadata can have up to {METADATA_KEYS} keys.", param=param
        )
    for key, value in metadata.items():
        if len(key) > METADATA_KEY_LENGTH:
            raise invalid(
                f"Metadata keys can be at most {METADATA_KEY_LENGTH} characters.",
                param=f"{param}[{key[:METADATA_KEY_LENGTH]}]",
            )
        if isinstance(value, str) and len(value) > METADATA_VALUE_LENGTH:
            raise invalid(
                f"Metadata values can be at most {METADATA_VALUE_LENGTH} characters.",
                param=f"{param}[{key}]",
            )


def _accepts_empty(schema: Tree) -> bool:
    return any("" in option.get("enum", ()) for option in schema.get("anyOf", [schema]))


def _array(schema: Tree, value: Any, param: str) -> list[Any]:
    # ASCII digits only: "²" is a digit to str.isdigit but not to int().
    if not isinstance(value, dict) or not all(key.isascii() and key.isdigit() for key in value):
        raise invalid(
            f"Invalid array: {param} must be sent as {param}[0], {param}[1], …", param=param
        )
    items = schema.get("items", {})
    ordered = sorted(value.items(), key=lambda pair: int(pair[0]))
    return [_check(items, item, _child(param, key)) for key, item in ordered]


def _integer(value: str, param: str) -> int:
    if not _INTEGER.fullmatch(value) or abs(int(value)) > _INT64:
        raise invalid(
            f"Invalid integer: {value[:100]}", param=param, code="parameter_invalid_integer"
        )
    return int(value)


def _string(schema: Tree, value: str, param: str) -> str:
    if "enum" in schema and value not in schema["enum"]:
        choices = ", ".join(str(option) for option in schema["enum"] if option)
        raise invalid(f"Invalid {param}: must be one of {choices}", param=param)
    if (limit := schema.get("maxLength")) and len(value) > limit:
        raise invalid(
            f"Invalid string: {value[:40]}...; must be at most {limit} characters", param=param
        )
    if schema.get("format") == "decimal" and not _DECIMAL.fullmatch(value):
        raise invalid(f"Invalid decimal: {value[:100]}", param=param)
    return value
