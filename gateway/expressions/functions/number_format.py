"""``formatNumber``: .NET standard and custom numeric format strings, for a few cultures.

Supported standard formats: C, D, E, F, G, N, P, R and X with an optional precision.
Custom formats support ``0`` and ``#`` placeholders, one decimal point, grouping and
scaling commas, ``%``, quoted literals, backslash escapes and up to three ``;`` sections;
literal text between placeholders is not kept.
"""

from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import Culture, culture
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import format_float, is_integer

_STANDARD = re.compile(r"([CcDdEeFfGgNnPpRrXx])(\d{0,3})\Z")
_MAX_DIGITS = 100


def _decimal(value: int | float) -> Decimal:
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _fixed(value: Decimal, decimals: int) -> str:
    quantum = Decimal(1).scaleb(-decimals)
    try:
        rounded = abs(value).quantize(quantum, rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ArgumentTypeError("the number is too large for that format") from None
    return f"{rounded:f}"


def _group(digits: str, separator: str) -> str:
    head = len(digits) % 3 or 3
    groups = [digits[:head]] + [digits[i:i + 3] for i in range(head, len(digits), 3)]
    return separator.join(groups)


def _localise(text: str, conventions: Culture, grouped: bool) -> str:
    whole, _, fraction = text.partition(".")
    if grouped:
        whole = _group(whole, conventions.group)
    return whole + (conventions.decimal + fraction if fraction else "")


def _standard(number: int | float, letter: str, precision: str, conventions: Culture) -> str:
    digits = int(precision) if precision else None
    if digits is not None and digits > _MAX_DIGITS:
        raise ArgumentTypeError(f"the precision must not exceed {_MAX_DIGITS}")
    upper = letter.upper()
    value = _decimal(number)
    negative = value < 0
    if upper in ("D", "X"):
        if not is_integer(number):
            raise ArgumentTypeError(f"the format '{letter}' needs an integer")
        if upper == "D":
            body = str(abs(int(number))).zfill(digits or 0)
            return ("-" if negative else "") + body
        masked = int(number) & 0xFFFFFFFFFFFFFFFF if negative else int(number)
        body = format(masked, "X" if letter == "X" else "x")
        return body.zfill(digits or 0)
    if upper in ("R", "G") and digits is None:
        text = str(number) if is_integer(number) else format_float(float(number))
        return text.replace(".", conventions.decimal)
    if upper == "G":
        text = f"{float(number):.{max(digits or 1, 1)}G}"
        if "E" in text:
            mantissa, exponent = text.split("E")
            text = f"{mantissa}E{exponent[0]}{exponent[1:].zfill(2)}"
        return text.replace(".", conventions.decimal)
    if upper == "E":
        places = 6 if digits is None else digits
        text = f"{abs(float(number)):.{places}E}"
        mantissa, exponent = text.split("E")
        text = f"{mantissa}{letter}{exponent[0]}{exponent[1:].zfill(3)}"
        return ("-" if negative else "") + text.replace(".", conventions.decimal)
    places = 2 if digits is None else digits
    if upper == "P":
        value *= 100
    body = _localise(_fixed(value, places), conventions, grouped=upper in ("N", "C", "P"))
    is_negative = negative and any(c not in "0.,\u00a0\u202f" for c in body)
    if upper == "C":
        pattern = conventions.currency_negative if is_negative else conventions.currency_positive
        return pattern.replace("n", body).replace("$", conventions.currency)
    if upper == "P":
        pattern = conventions.percent_negative if is_negative else conventions.percent_positive
        return pattern.replace("n", body)
    return ("-" if is_negative else "") + body


def _split_sections(fmt: str) -> list[str]:
    sections, current, i = [], [], 0
    while i < len(fmt):
        char = fmt[i]
        if char == "\\":
            current.append(fmt[i:i + 2])
            i += 2
            continue
        if char in ("'", '"'):
            end = fmt.find(char, i + 1)
            end = len(fmt) if end < 0 else end
            current.append(fmt[i:end + 1])
            i = end + 1
            continue
        if char == ";":
            sections.append("".join(current))
            current = []
        else:
            current.append(char)
        i += 1
    sections.append("".join(current))
    return sections


def _tokens(text: str) -> list[tuple[str, bool]]:
    """Split a format section into (text, is_literal) pieces, one per character."""
    out: list[tuple[str, bool]] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char == "\\":
            out.extend((c, True) for c in text[i + 1:i + 2])
            i += 2
        elif char in ("'", '"'):
            close = text.find(char, i + 1)
            close = len(text) if close < 0 else close
            out.extend((c, True) for c in text[i + 1:close])
            i = close + 1
        else:
            out.append((char, False))
            i += 1
    return out


def _custom_section(value: Decimal, section: str, conventions: Culture, sign: str) -> str:
    tokens = _tokens(section)
    positions = [i for i, (c, literal) in enumerate(tokens) if not literal and c in "0#"]
    if not positions:
        return "".join(c for c, _ in tokens)
    start, end = positions[0], positions[-1] + 1
    while end < len(tokens) and tokens[end] == (",", False):
        end += 1  # commas right after the last digit scale by a thousand each
    body = "".join(c for c, literal in tokens[start:end] if not literal)
    prefix = "".join(c for c, _ in tokens[:start])
    suffix = "".join(c for c, _ in tokens[end:])
    if any(c == "%" and not literal for c, literal in tokens):
        value *= 100
    whole, point, fraction = body.partition(".")
    while whole.endswith(","):  # commas right before the point scale by a thousand each
        whole = whole[:-1]
        value /= 1000
    grouped = "," in whole.strip(",")
    int_min = len(whole.lstrip("#,").replace(",", "").replace("#", ""))
    dec_min = len(fraction) - len(fraction.lstrip("0")) if fraction else 0
    dec_max = sum(1 for c in fraction if c in "0#")
    if dec_max > _MAX_DIGITS or int_min > _MAX_DIGITS:
        raise ArgumentTypeError(f"the format must not ask for over {_MAX_DIGITS} digits")
    text = _fixed(value, dec_max)
    int_part, _, frac_part = text.partition(".")
    frac_part = frac_part.rstrip("0").ljust(dec_min, "0")
    int_part = int_part.lstrip("0").zfill(int_min) if int_min else int_part.lstrip("0")
    if grouped and int_part:
        int_part = _group(int_part, conventions.group)
    number = int_part + (conventions.decimal + frac_part if frac_part else "")
    if not point and not number:
        number = ""
    return f"{sign}{prefix}{number}{suffix}"


def _custom(number: int | float, fmt: str, conventions: Culture) -> str:
    sections = _split_sections(fmt)
    value = _decimal(number)
    if len(sections) >= 3 and value == 0 and sections[2]:
        return _custom_section(abs(value), sections[2], conventions, "")
    if value < 0 and len(sections) >= 2 and sections[1]:
        return _custom_section(abs(value), sections[1], conventions, "")
    text = _custom_section(abs(value), sections[0], conventions, "")
    nonzero = any(c.isdigit() and c != "0" for c in text)
    return ("-" + text) if value < 0 and nonzero else text


def format_number(ctx: EvaluationContext, number: Any, fmt: Any, locale: Any = None) -> str:
    value = _args.number(number, 1)
    pattern = _args.string(fmt, 2)
    conventions = culture(None if locale is None else _args.string(locale, 3), 3)
    match = _STANDARD.match(pattern)
    if match:
        return _standard(value, match.group(1), match.group(2), conventions)
    if len(pattern) > 1000:
        raise _args.bad_value(2, "is longer than 1000 characters")
    return _custom(value, pattern, conventions)


def register(registry: FunctionRegistry) -> None:
    """Add ``formatNumber`` to ``registry``."""
    registry.register("formatNumber", format_number, 2, 3)
