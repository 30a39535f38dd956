"""Response objects checked against Stripe's published response schemas (a copy in spec/)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

SPEC_PATH = Path(__file__).resolve().parent / "spec" / "response_schemas.json"
_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "object": (dict,),
    "array": (list,),
}


@cache
def _schemas() -> dict[str, Any]:
    schemas: dict[str, Any] = json.loads(SPEC_PATH.read_text())["schemas"]
    return schemas


def schema_problems(value: Any, name: str) -> list[str]:
    """Every way `value` is not a `name` (e.g. "refund") as Stripe describes it; [] if none.

    Stricter than Stripe's own spec in one way: a property the schema does not name is a problem,
    so the sandbox cannot answer with fields that Stripe's version of the API does not have.
    """
    return _check({"$ref": f"#/components/schemas/{name}"}, value, name)


def _check(schema: dict[str, Any], value: Any, where: str) -> list[str]:
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[-1]
        if name not in _schemas():
            return [f"{where}: no copy of Stripe's {name!r} schema to check it against"]
        return _check(_schemas()[name], value, where)
    if value is None:
        return [] if schema.get("nullable") else [f"{where}: null, which Stripe never sends here"]
    if "anyOf" in schema:
        tried = [_check(option, value, where) for option in schema["anyOf"]]
        if any(not found for found in tried):
            return []
        # Report the branch shaped like the value (the object for an expanded id), if any.
        shaped = [f for o, f in zip(schema["anyOf"], tried, strict=True) if _shaped(o, value)]
        return min(shaped or tried, key=len)
    if not _shaped(schema, value):
        return [f"{where}: {value!r:.60} is not of type {schema['type']}"]
    bypassed = schema.get("x-stripeBypassValidation")
    if "enum" in schema and value not in schema["enum"] and not bypassed:
        return [f"{where}: {value!r:.60} is not one of {schema['enum']}"]
    if isinstance(value, str) and len(value) > schema.get("maxLength", len(value)):
        return [f"{where}: longer than {schema['maxLength']} characters"]
    if isinstance(value, list):
        items = schema.get("items", {})
        return [p for i, item in enumerate(value) for p in _check(items, item, f"{where}[{i}]")]
    if isinstance(value, dict):
        return _object(schema, value, where)
    return []


def _shaped(schema: dict[str, Any], value: Any) -> bool:
    if "$ref" in schema:
        schema = _schemas().get(schema["$ref"].rsplit("/", 1)[-1], {})
    kind = schema.get("type")
    # bool is an int to Python, never to JSON.
    return not kind or (
        isinstance(value, _TYPES[kind]) and (kind == "boolean" or not isinstance(value, bool))
    )


def _object(schema: dict[str, Any], value: dict[str, Any], where: str) -> list[str]:
    properties: dict[str, Any] = schema.get("properties", {})
    extra = schema.get("additionalProperties")
    problems = [f"{where}.{key}: missing" for key in schema.get("required", ()) if key not in value]
    for key, item in value.items():
        if key in properties:
            problems += _check(properties[key], item, f"{where}.{key}")
        elif isinstance(extra, dict):
            problems += _check(extra, item, f"{where}.{key}")
        elif not extra and properties:
            problems.append(f"{where}.{key}: not a property Stripe's schema has")
    return problems
