"""Reading numbers from text as .NET's ``double.Parse`` does with ``NumberStyles.Any``.

That is what makes the reference's "unexpectedly valid" ``float()`` inputs valid: group
separators anywhere after the first digit of the integer part (``12,3,4,5678``), a sign
before or after the number (``1234567,8+``), parentheses for negatives, the culture's
currency symbol, an exponent, surrounding white space. Separators and signs are the
culture's; where the group separator is a no-break space, a plain space is taken too.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from gateway.expressions.functions.cultures import Culture

__all__ = ["parse_number"]

_WHITE = " \t\n\v\f\r"
_MAX_LENGTH = 400


class _Reader:
    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    def take(self, *options: str) -> str | None:
        for option in options:
            if option and self.text.startswith(option, self.pos):
                self.pos += len(option)
                return option
        return None

    def skip_white(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] in _WHITE:
            self.pos += 1

    def digit(self) -> str | None:
        if self.pos < len(self.text) and "0" <= self.text[self.pos] <= "9":
            self.pos += 1
            return self.text[self.pos - 1]
        return None


def _signs(conventions: Culture) -> tuple[tuple[str, ...], tuple[str, ...]]:
    minus = tuple(dict.fromkeys((conventions.minus, "-", "\u2212")))
    plus = tuple(dict.fromkeys((conventions.plus, "+")))
    return minus, plus


def parse_number(text: str, conventions: Culture, *, exponent: bool = True) -> Decimal | None:
    """The number ``text`` spells in ``conventions``, or None when it spells none."""
    if len(text) > _MAX_LENGTH:
        return None
    minus, plus = _signs(conventions)
    groups = (conventions.group, " ") if conventions.group in ("\u00a0", "\u202f") \
        else (conventions.group,)
    currency = conventions.currency_symbol
    reader = _Reader(text)
    negative = False
    parenthesis = False
    signed = False
    reader.skip_white()
    # Leading sign, parenthesis and currency symbol, in any order, each once.
    for _ in range(3):
        if not signed and (sign := reader.take(*minus, *plus)):
            negative = sign in minus
            signed = True
        elif not parenthesis and reader.take("("):
            parenthesis = True
        elif reader.take(currency):
            pass
        else:
            break
        reader.skip_white()
    integer: list[str] = []
    while True:
        digit = reader.digit()
        if digit is not None:
            integer.append(digit)
        elif not (integer and reader.take(*groups)):
            break
    fraction: list[str] = []
    if reader.take(conventions.decimal):
        while (digit := reader.digit()) is not None:
            fraction.append(digit)
    if not integer and not fraction:
        return None
    power = 0
    if exponent and reader.pos < len(text) and text[reader.pos] in "eE":
        mark = reader.pos
        reader.pos += 1
        exponent_negative = bool(reader.take(*minus))
        if not exponent_negative:
            reader.take(*plus)
        digits = []
        while (digit := reader.digit()) is not None:
            digits.append(digit)
        if digits and len(digits) <= 6:
            power = int("".join(digits)) * (-1 if exponent_negative else 1)
        else:
            reader.pos = mark
    reader.skip_white()
    for _ in range(3):
        if not signed and (sign := reader.take(*minus, *plus)):
            negative = sign in minus
            signed = True
        elif parenthesis and reader.take(")"):
            parenthesis = False
            negative = True
        elif reader.take(currency):
            pass
        else:
            break
        reader.skip_white()
    if reader.pos != len(text) or parenthesis:
        return None
    try:
        value = Decimal(f"{''.join(integer) or '0'}.{''.join(fraction) or '0'}E{power}")
    except InvalidOperation:
        return None
    return -value if negative else value
