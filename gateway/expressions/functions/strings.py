"""String functions: concat, substring, replace, indexOf, split, formatNumber's peers..."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import culture
from gateway.expressions.functions.number_parse import parse_number
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import to_string

_DOUBLE_MAX = Decimal("1.7976931348623157E+308")


def concat(ctx: EvaluationContext, *values: Any) -> str:
    # Logic Apps converts non-string arguments implicitly, as interpolation does.
    pieces = [to_string(value) for value in values]
    _args.ensure_size(ctx, sum(len(piece) for piece in pieces))
    return "".join(pieces)


def substring(ctx: EvaluationContext, value: Any, start: Any, length: Any = None) -> str:
    text = _args.string(value, 1)
    begin = _args.integer(start, 2)
    if not 0 <= begin <= len(text):
        raise _args.bad_value(2, "must be between 0 and the length of the string")
    if length is None:
        return text[begin:]
    count = _args.integer(length, 3)
    if count < 0 or begin + count > len(text):
        raise _args.bad_value(3, "must not reach past the end of the string")
    return text[begin:begin + count]


def slice_(ctx: EvaluationContext, value: Any, start: Any, end: Any = None) -> str:
    text = _args.string(value, 1)
    size = len(text)
    begin = _args.integer(start, 2)
    begin = max(size + begin, 0) if begin < 0 else min(begin, size)
    if end is None:
        finish = size
    else:
        finish = _args.integer(end, 3)
        finish = max(size + finish, 0) if finish < 0 else min(finish, size)
    return text[begin:finish] if begin < finish else ""


def replace(ctx: EvaluationContext, value: Any, old_value: Any, new_value: Any) -> str:
    text = _args.string(value, 1)
    old = _args.string(old_value, 2)
    new = _args.string(new_value, 3)
    if not old:
        raise _args.bad_value(2, "must not be empty")
    occurrences = text.count(old)
    _args.ensure_size(ctx, len(text) + occurrences * (len(new) - len(old)))
    return text.replace(old, new)


def _fold(text: str, search: str) -> tuple[str, str]:
    # Case-insensitive search: lower-case both, unless lower-casing changes lengths
    # (then indexes would shift), in which case the search stays ordinal.
    low_text, low_search = text.lower(), search.lower()
    if len(low_text) == len(text) and len(low_search) == len(search):
        return low_text, low_search
    return text, search


def index_of(ctx: EvaluationContext, value: Any, search_value: Any) -> int:
    text, search = _fold(_args.string(value, 1), _args.string(search_value, 2))
    return text.find(search)


def last_index_of(ctx: EvaluationContext, value: Any, search_value: Any) -> int:
    text, search = _fold(_args.string(value, 1), _args.string(search_value, 2))
    if not search:
        # Documented: "" in "" is 0; "" in a non-empty string is its length minus one.
        return max(len(text) - 1, 0)
    return text.rfind(search)


def nth_index_of(ctx: EvaluationContext, value: Any, search_value: Any,
                 occurrence: Any) -> int:
    text, search = _fold(_args.string(value, 1), _args.string(search_value, 2))
    nth = _args.integer(occurrence, 3)
    if nth == 0:
        raise _args.bad_value(3, "must not be zero")
    if nth > 0:
        position = -1
        for _ in range(nth):
            position = text.find(search, position + 1)
            if position < 0:
                return -1
        return position
    position = len(text) + 1
    for _ in range(-nth):
        if position <= 0:
            return -1
        position = text.rfind(search, 0, position - 1 + len(search))
        if position < 0:
            return -1
    return position


def starts_with(ctx: EvaluationContext, value: Any, search_value: Any) -> bool:
    text, search = _fold(_args.string(value, 1), _args.string(search_value, 2))
    return text.startswith(search)


def ends_with(ctx: EvaluationContext, value: Any, search_value: Any) -> bool:
    text, search = _fold(_args.string(value, 1), _args.string(search_value, 2))
    return text.endswith(search)


def split(ctx: EvaluationContext, value: Any, delimiter_value: Any) -> list[str]:
    text = _args.string(value, 1)
    delimiter = _args.string(delimiter_value, 2)
    if not delimiter:
        return [text]
    return text.split(delimiter)


def to_lower(ctx: EvaluationContext, text: Any) -> str:
    return _args.string(text, 1).lower()


def to_upper(ctx: EvaluationContext, text: Any) -> str:
    return _args.string(text, 1).upper()


def trim(ctx: EvaluationContext, text: Any) -> str:
    return _args.string(text, 1).strip()


def length(ctx: EvaluationContext, collection: Any) -> int:
    if isinstance(collection, (str, list, dict, bytes)):
        return len(collection)
    raise _args.wrong_type(1, "a string or an array", collection)


_GUID_FORMATS: dict[str, Callable[[uuid.UUID], str]] = {
    "N": lambda u: u.hex,
    "D": str,
    "B": lambda u: "{" + str(u) + "}",
    "P": lambda u: "(" + str(u) + ")",
    "X": lambda u: "{" + ",".join([
        "0x" + u.hex[0:8], "0x" + u.hex[8:12], "0x" + u.hex[12:16],
        "{" + ",".join("0x" + u.hex[i:i + 2] for i in range(16, 32, 2)) + "}"]) + "}",
}


def guid(ctx: EvaluationContext, fmt_value: Any = "D") -> str:
    fmt = _args.string(fmt_value, 1) if fmt_value is not None else "D"
    render = _GUID_FORMATS.get(fmt.upper() or "D")
    if render is None:
        raise _args.bad_value(1, "must be one of N, D, B, P or X")
    return render(uuid.UUID(int=ctx.rng.getrandbits(128), version=4))


def is_int(ctx: EvaluationContext, value: Any) -> bool:
    text = _args.string(value, 1).strip()
    if not text:
        return False
    body = text[1:] if text[0] in "+-" else text
    # What int() takes: a 64-bit integer.
    return body.isdigit() and body.isascii() and len(body) <= 20 and \
        -(2**63) <= int(text) <= 2**63 - 1


def is_float(ctx: EvaluationContext, text: Any, locale: Any = None) -> bool:
    # The invariant culture unless one is named, as the reference says.
    name = "" if locale is None else _args.string(locale, 2)
    conventions = culture(name, 2)
    value = parse_number(_args.string(text, 1), conventions)
    return value is not None and abs(value) <= _DOUBLE_MAX


def register(registry: FunctionRegistry) -> None:
    """Add the string functions to ``registry``."""
    registry.register("concat", concat, 1)
    registry.register("substring", substring, 2, 3)
    registry.register("slice", slice_, 2, 3)
    registry.register("replace", replace, 3, 3)
    registry.register("indexOf", index_of, 2, 2)
    registry.register("lastIndexOf", last_index_of, 2, 2)
    registry.register("nthIndexOf", nth_index_of, 3, 3)
    registry.register("startsWith", starts_with, 2, 2)
    registry.register("endsWith", ends_with, 2, 2)
    registry.register("split", split, 2, 2)
    registry.register("toLower", to_lower, 1, 1)
    registry.register("toUpper", to_upper, 1, 1)
    registry.register("trim", trim, 1, 1)
    registry.register("length", length, 1, 1)
    registry.register("guid", guid, 0, 1)
    registry.register("isInt", is_int, 1, 1)
    registry.register("isFloat", is_float, 1, 2)

