"""Collection functions over strings, arrays and objects."""

from __future__ import annotations

import json
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import (
    is_number,
    to_json_compatible,
    to_string,
    type_name,
    values_equal,
)


def contains(ctx: EvaluationContext, collection: Any, value: Any) -> bool:
    if isinstance(collection, str):
        return _args.string(value, 2) in collection
    if isinstance(collection, list):
        return any(values_equal(item, value) for item in collection)
    if isinstance(collection, dict):
        return _args.string(value, 2) in collection
    raise _args.wrong_type(1, "a string, an array or an object", collection)


def empty(ctx: EvaluationContext, collection: Any) -> bool:
    if collection is None:
        return True
    if isinstance(collection, (str, list, dict, bytes)):
        return len(collection) == 0
    raise _args.wrong_type(1, "a string, an array or an object", collection)


def first(ctx: EvaluationContext, collection: Any) -> Any:
    if isinstance(collection, (str, list)):
        return collection[0] if collection else None
    raise _args.wrong_type(1, "a string or an array", collection)


def last(ctx: EvaluationContext, collection: Any) -> Any:
    if isinstance(collection, (str, list)):
        return collection[-1] if collection else None
    raise _args.wrong_type(1, "a string or an array", collection)


def join(ctx: EvaluationContext, collection: Any, delimiter_value: Any) -> str:
    items = [to_string(item) for item in _args.array(collection, 1)]
    delimiter = _args.string(delimiter_value, 2)
    _args.ensure_size(ctx, sum(map(len, items)) + len(delimiter) * max(len(items) - 1, 0))
    return delimiter.join(items)


def _count(value: Any) -> int:
    count = _args.integer(value, 2)
    if count < 0:
        raise _args.bad_value(2, "must not be negative")
    return count


def skip(ctx: EvaluationContext, collection: Any, count: Any) -> Any:
    if not isinstance(collection, (str, list)):
        raise _args.wrong_type(1, "an array", collection)
    return collection[_count(count):]


def take(ctx: EvaluationContext, collection: Any, count: Any) -> Any:
    if not isinstance(collection, (str, list)):
        raise _args.wrong_type(1, "a string or an array", collection)
    return collection[:_count(count)]


def _same_kind(collections: tuple[Any, ...]) -> type:
    kind = list if isinstance(collections[0], list) else dict
    for index, collection in enumerate(collections, 1):
        if not isinstance(collection, kind):
            raise _args.wrong_type(index, "an array" if kind is list else "an object",
                                   collection)
    return kind


def _identity(item: Any) -> Any:
    # A hashable stand-in for a value, so de-duplication stays linear.
    if isinstance(item, (list, dict)):
        return ("json", json.dumps(to_json_compatible(item), sort_keys=True))
    if isinstance(item, bytearray):
        return ("binary", bytes(item))
    return (type_name(item), item)


def _dedupe(items: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    unique: list[Any] = []
    for item in items:
        identity = _identity(item)
        if identity not in seen:
            seen.add(identity)
            unique.append(item)
    return unique


def union(ctx: EvaluationContext, *collections: Any) -> Any:
    if _same_kind(collections) is list:
        items = [item for collection in collections for item in collection]
        _args.ensure_size(ctx, len(items))
        return _dedupe(items)
    merged: dict[str, Any] = {}
    for collection in collections:
        merged.update(collection)
    return merged


def intersection(ctx: EvaluationContext, *collections: Any) -> Any:
    if _same_kind(collections) is list:
        rest = [{_identity(other) for other in collection} for collection in collections[1:]]
        common = [item for item in collections[0]
                  if all(_identity(item) in identities for identities in rest)]
        return _dedupe(common)
    result: dict[str, Any] = {}
    for key in collections[0]:
        values = [collection[key] for collection in collections if key in collection]
        if len(values) == len(collections) and all(values_equal(values[0], v) for v in values):
            result[key] = values[-1]
    return result


def create_array(ctx: EvaluationContext, *items: Any) -> list[Any]:
    return list(items)


def chunk(ctx: EvaluationContext, collection: Any, size: Any) -> list[Any]:
    if not isinstance(collection, (str, list)):
        raise _args.wrong_type(1, "a string or an array", collection)
    step = _args.integer(size, 2)
    if step <= 0:
        raise _args.bad_value(2, "must be a positive integer")
    return [collection[i:i + step] for i in range(0, len(collection), step)]


def _sort_key(value: Any, index: int) -> tuple[int, Any]:
    if is_number(value):
        return (0, value)
    if isinstance(value, str):
        return (1, value)
    if isinstance(value, bool):
        return (2, value)
    raise _args.bad_value(index, f"holds a {type_name(value)}, which cannot be sorted")


def sort(ctx: EvaluationContext, collection: Any, sort_by: Any = None) -> list[Any]:
    items = _args.array(collection, 1)
    if sort_by is None:
        keys = [_sort_key(item, 1) for item in items]
    else:
        name = _args.string(sort_by, 2)
        keys = []
        for item in items:
            if not isinstance(item, dict) or name not in item:
                raise _args.bad_value(1, f"holds an item without the key '{name}'")
            keys.append(_sort_key(item[name], 1))
    if len({kind for kind, _ in keys}) > 1:
        raise _args.bad_value(1, "mixes types that cannot be compared")
    order = sorted(range(len(items)), key=lambda i: keys[i][1])
    return [items[i] for i in order]


def reverse(ctx: EvaluationContext, collection: Any) -> list[Any]:
    return list(reversed(_args.array(collection, 1)))


def register(registry: FunctionRegistry) -> None:
    """Add the collection functions to ``registry``."""
    registry.register("contains", contains, 2, 2)
    registry.register("empty", empty, 1, 1)
    registry.register("first", first, 1, 1)
    registry.register("last", last, 1, 1)
    registry.register("join", join, 2, 2)
    registry.register("skip", skip, 2, 2)
    registry.register("take", take, 2, 2)
    registry.register("union", union, 1)
    registry.register("intersection", intersection, 1)
    registry.register("createArray", create_array, 0)
    registry.register("chunk", chunk, 2, 2)
    registry.register("sort", sort, 1, 2)
    registry.register("reverse", reverse, 1, 1)
