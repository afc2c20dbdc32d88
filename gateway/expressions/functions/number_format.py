"""``formatNumber``: .NET standard and custom numeric format strings, in any culture.

Standard formats: C, D, E, F, G, N, P, R and X with an optional precision. Custom formats:
``0`` and ``#`` placeholders, one decimal point, grouping and scaling commas, ``%`` and
``‰``, ``E+0``-style exponents, quoted literals, backslash escapes, literal text anywhere
(``(###) ###-####``) and up to three ``;`` sections. Separators, signs, the currency and
percent patterns come from the culture (``cultures.py``). Rounding is half away from
zero on the shortest decimal form of the number, as .NET does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import Culture, culture
from gateway.expressions.registry import FunctionRegistry
from gateway.expressions.values import format_float, is_integer

__all__ = ["format_number", "register", "to_decimal"]

_STANDARD = re.compile(r"([CcDdEeFfGgNnPpRrXx])(\d{0,3})\Z")
_MAX_DIGITS = 100


def to_decimal(value: int | float | Decimal) -> Decimal:
    """The exact decimal a number stands for (a float by its shortest form)."""
    if isinstance(value, Decimal):
        return value
    return Decimal(value) if isinstance(value, int) else Decimal(repr(value))


def _fixed(value: Decimal, decimals: int) -> str:
    """``abs(value)`` rounded half away from zero to ``decimals`` places, as digits."""
    try:
        rounded = abs(value).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        raise ArgumentTypeError("the number is too large for that format") from None
    return f"{rounded:f}"


def _group_marks(length: int, sizes: tuple[int, int]) -> set[int]:
    """Digit counts from the right after which a group separator goes."""
    marks, position = set(), sizes[0]
    while sizes[0] and position < length:
        marks.add(position)
        position += sizes[1] or sizes[0]
    return marks


def _group(digits: str, conventions: Culture) -> str:
    marks = _group_marks(len(digits), conventions.group_sizes)
    out = []
    for index, digit in enumerate(digits):
        out.append(digit)
        if len(digits) - 1 - index in marks:
            out.append(conventions.group)
    return "".join(out)


def _localise(text: str, conventions: Culture, grouped: bool) -> str:
    whole, _, fraction = text.partition(".")
    if grouped:
        whole = _group(whole, conventions)
    return whole + (conventions.decimal + fraction if fraction else "")


def _is_zero(text: str) -> bool:
    return not any(c in "123456789" for c in text)


def _scientific(value: Decimal, places: int, letter: str, exponent_digits: int,
                conventions: Culture) -> str:
    if value == 0:
        mantissa, exponent = Decimal(0), 0
    else:
        exponent = value.adjusted()
        mantissa = value.scaleb(-exponent)
        if Decimal(_fixed(mantissa, places)) >= 10:  # rounding carried into a new digit
            exponent += 1
            mantissa = value.scaleb(-exponent)
    body = _fixed(mantissa, places).replace(".", conventions.decimal)
    sign = conventions.minus if exponent < 0 else conventions.plus
    return f"{body}{letter}{sign}{str(abs(exponent)).zfill(exponent_digits)}"


def _general(value: Decimal, digits: int | None, letter: str, conventions: Culture,
             number: int | float | Decimal) -> str:
    if digits is None or digits == 0:
        text = format_float(abs(number)) if isinstance(number, float) else str(abs(number))
        mantissa, _, exponent = text.partition("E")
        out = mantissa.replace(".", conventions.decimal)
        if exponent:
            sign = conventions.minus if exponent.startswith("-") else conventions.plus
            out += f"E{sign}{exponent.lstrip('+-').zfill(2)}"
        return out
    text = f"{abs(value):.{digits}G}"
    mantissa, _, exponent = text.partition("E")
    if "." in mantissa:
        mantissa = mantissa.rstrip("0").rstrip(".")
    out = mantissa.replace(".", conventions.decimal)
    if exponent:
        sign = conventions.minus if exponent.startswith("-") else conventions.plus
        out += ("E" if letter == "G" else "e") + sign + exponent.lstrip("+-").zfill(2)
    return out


def _standard(number: int | float | Decimal, letter: str, precision: str,
              conventions: Culture) -> str:
    digits = int(precision) if precision else None
    if digits is not None and digits > _MAX_DIGITS:
        raise ArgumentTypeError(f"the precision must not exceed {_MAX_DIGITS}")
    upper = letter.upper()
    value = to_decimal(number)
    negative = value < 0
    minus = conventions.minus
    if upper in ("D", "X"):
        if not is_integer(number):
            raise ArgumentTypeError(f"the format '{letter}' needs an integer")
        if upper == "D":
            return (minus if negative else "") + str(abs(int(number))).zfill(digits or 0)
        masked = int(number) & 0xFFFFFFFFFFFFFFFF if negative else int(number)
        return format(masked, "X" if letter == "X" else "x").zfill(digits or 0)
    if upper in ("R", "G"):
        body = _general(value, None if upper == "R" else digits, upper if letter.isupper()
                        else "g", conventions, number)
        return (minus if negative and not _is_zero(body) else "") + body
    if upper == "E":
        body = _scientific(abs(value), 6 if digits is None else digits, letter, 3,
                           conventions)
        return (minus if negative else "") + body
    if upper == "C":
        places = conventions.currency_digits if digits is None else digits
    else:
        places = 2 if digits is None else digits
    if upper == "P":
        value *= 100
    body = _localise(_fixed(value, places), conventions, grouped=upper in ("N", "C", "P"))
    negative = negative and not _is_zero(body)
    if upper == "C":
        return conventions.currency.wrap(body, negative)
    if upper == "P":
        return conventions.percent_affixes.wrap(body, negative)
    return (minus if negative else "") + body


# -- custom formats -------------------------------------------------------------------


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


_EXPONENT = re.compile(r"[eE][+-]?0+")


def _tokens(section: str) -> list[tuple[str, str]]:
    """Split a section into (kind, text): digit, point, comma, percent, permille,
    exponent or literal."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(section):
        char = section[i]
        if char == "\\":
            out.append(("literal", section[i + 1:i + 2]))
            i += 2
        elif char in ("'", '"'):
            close = section.find(char, i + 1)
            close = len(section) if close < 0 else close
            out.append(("literal", section[i + 1:close]))
            i = close + 1
        elif char in "0#":
            out.append(("digit", char))
            i += 1
        elif char in ".,%‰":
            out.append(({".": "point", ",": "comma", "%": "percent", "‰": "permille"}[char],
                        char))
            i += 1
        elif char in "eE" and (match := _EXPONENT.match(section, i)):
            out.append(("exponent", match.group(0)))
            i = match.end()
        else:
            out.append(("literal", char))
            i += 1
    return out


@dataclass
class _Layout:
    tokens: list[tuple[str, str]]
    integer_places: int = 0
    first_zero: int | None = None  # index of the first '0' among the integer places
    fraction_places: int = 0
    fraction_min: int = 0
    grouped: bool = False
    scale: int = 0  # powers of 1000 to divide by
    percent: int = 0  # powers of 100 (percent) or 1000 (per mille) to multiply by
    exponent: str = ""


def _layout(section: str) -> _Layout:
    layout = _Layout(_tokens(section))
    tokens = layout.tokens
    point = next((i for i, (kind, _) in enumerate(tokens) if kind == "point"), len(tokens))
    digit_positions = [i for i, (kind, _) in enumerate(tokens) if kind == "digit"]
    last_integer_digit = max((i for i in digit_positions if i < point), default=-1)
    for i, (kind, text) in enumerate(tokens):
        if kind == "digit" and i < point:
            if text == "0" and layout.first_zero is None:
                layout.first_zero = layout.integer_places
            layout.integer_places += 1
        elif kind == "digit":
            layout.fraction_places += 1
            if text == "0":
                layout.fraction_min = layout.fraction_places
        elif kind == "comma" and i < point:
            # Commas right after the last integer place scale; others between places group.
            if i > last_integer_digit:
                if last_integer_digit >= 0:
                    layout.scale += 1
            elif any(p < i for p in digit_positions):
                layout.grouped = True
        elif kind == "percent":
            layout.percent += 2
        elif kind == "permille":
            layout.percent += 3
        elif kind == "exponent" and not layout.exponent:
            layout.exponent = text
    return layout


def _render(value: Decimal, layout: _Layout, conventions: Culture) -> tuple[str, bool]:
    """Write ``abs(value)`` by the layout; also say whether any nonzero digit shows."""
    value = abs(value).scaleb(layout.percent - 3 * layout.scale)
    exponent_text = ""
    if layout.exponent:
        exponent = 0
        if value != 0:
            exponent = value.adjusted() - max(layout.integer_places - 1, 0)
            value = value.scaleb(-exponent)
        width = len(layout.exponent.lstrip("eE+-"))
        sign = conventions.minus if exponent < 0 else (
            conventions.plus if "+" in layout.exponent else "")
        exponent_text = layout.exponent[0] + sign + str(abs(exponent)).zfill(width)
    text = _fixed(value, layout.fraction_places)
    whole, _, fraction = text.partition(".")
    whole = whole.lstrip("0")
    minimum = layout.integer_places - layout.first_zero if layout.first_zero is not None \
        else 0
    whole = whole.zfill(minimum)
    fraction = fraction.rstrip("0").ljust(layout.fraction_min, "0")
    marks = _group_marks(len(whole), conventions.group_sizes) if layout.grouped else set()
    out: list[str] = []
    placed = 0  # integer places met so far
    fraction_index = 0
    for kind, token in layout.tokens:
        if kind == "digit" and placed < layout.integer_places:
            start = len(whole) - (layout.integer_places - placed)
            piece_start = 0 if placed == 0 else start
            for index in range(max(piece_start, 0), start + 1):
                if 0 <= index < len(whole):
                    out.append(whole[index])
                    if len(whole) - 1 - index in marks:
                        out.append(conventions.group)
            placed += 1
        elif kind == "digit":
            if fraction_index < len(fraction):
                out.append(fraction[fraction_index])
            fraction_index += 1
        elif kind == "point":
            if layout.integer_places == 0:
                out.append(whole)  # no integer places: the digits go before the point
            if fraction:
                out.append(conventions.decimal)
        elif kind == "percent":
            out.append(conventions.percent)
        elif kind == "permille":
            out.append(conventions.permille)
        elif kind == "exponent":
            out.append(exponent_text)
        elif kind == "literal":
            out.append(token)
        # commas only group or scale; they are never written themselves
    return "".join(out), not _is_zero(whole + fraction)


def _custom(number: int | float | Decimal, fmt: str, conventions: Culture) -> str:
    sections = _split_sections(fmt)
    value = to_decimal(number)
    first = _layout(sections[0])
    shown, nonzero = _render(value, first, conventions)
    if len(sections) >= 3 and sections[2] and not nonzero:
        return _render(Decimal(0), _layout(sections[2]), conventions)[0]
    if value < 0 and len(sections) >= 2 and sections[1]:
        return _render(value, _layout(sections[1]), conventions)[0]
    if value < 0 and nonzero:
        return conventions.minus + shown
    return shown


def format_number(ctx: EvaluationContext, number: Any, fmt: Any, locale: Any = None) -> str:
    value = _args.number(number, 1)
    pattern = _args.string(fmt, 2)
    conventions = culture(None if locale is None else _args.string(locale, 3), 3)
    match = _STANDARD.match(pattern)
    if match:
        return _standard(value, match.group(1), match.group(2), conventions)
    if len(pattern) > 1000:
        raise _args.bad_value(2, "is longer than 1000 characters")
    layout = _layout(_split_sections(pattern)[0])
    if layout.integer_places > _MAX_DIGITS or layout.fraction_places > _MAX_DIGITS:
        raise ArgumentTypeError(f"the format must not ask for over {_MAX_DIGITS} digits")
    return _custom(value, pattern, conventions)


def register(registry: FunctionRegistry) -> None:
    """Add ``formatNumber`` to ``registry``."""
    registry.register("formatNumber", format_number, 2, 3)
