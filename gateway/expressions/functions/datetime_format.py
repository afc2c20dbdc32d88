"""Writing timestamps with .NET date and time format strings, in any culture.

Timestamps are ``Instant`` values: a Python datetime plus the seventh fractional digit
(100 ns) .NET keeps and Python's microseconds do not. Aware datetimes print their offset
(``Z`` for UTC) where the format asks for it; naive ones are .NET's "unspecified" kind
and print none. Standard formats (one letter) take their patterns from the culture
(``cultures.py``), except the culture-invariant ``O``, ``R``, ``s`` and ``u``; in custom
formats ``/`` and ``:`` are the culture's date and time separators, and month names take
the genitive (CLDR "format") form when the pattern also writes the day number.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions.cultures import Culture, culture

__all__ = ["INVARIANT_PATTERNS", "Instant", "format_timestamp", "scan_format"]


@dataclass(frozen=True)
class Instant:
    """A timestamp to 100 ns: ``moment`` plus ``tick``, the seventh fractional digit."""

    moment: datetime
    tick: int = 0

    def replace(self, moment: datetime, keep_tick: bool = True) -> Instant:
        """The same sub-microsecond digit on another moment (or none)."""
        return Instant(moment, self.tick if keep_tick else 0)


INVARIANT_PATTERNS = {
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
}
_TO_UTC = frozenset("RrUu")
_LETTERS = frozenset("dMyhHmsfFtzKg")


@lru_cache(maxsize=512)
def scan_format(fmt: str) -> tuple[tuple[str, str], ...]:
    """Split a .NET custom format into (kind, text): ``field`` runs (``MMMM``), ``date``
    and ``time`` separators, and ``literal`` text."""
    out: list[tuple[str, str]] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in ("'", '"'):
            end = fmt.find(char, i + 1)
            end = len(fmt) if end < 0 else end
            out.append(("literal", fmt[i + 1:end]))
            i = end + 1
        elif char == "\\":
            out.append(("literal", fmt[i + 1:i + 2]))
            i += 2
        elif char == "%":
            i += 1
        elif char == "/":
            out.append(("date", char))
            i += 1
        elif char == ":":
            out.append(("time", char))
            i += 1
        elif char in _LETTERS:
            run = i
            while run < len(fmt) and fmt[run] == char:
                run += 1
            out.append(("field", fmt[i:run]))
            i = run
        else:
            out.append(("literal", char))
            i += 1
    return tuple(out)


def _round_trip(instant: Instant) -> str:
    # Format "o", the default of every date function, written directly.
    moment = instant.moment
    zone = "" if moment.tzinfo is None else (
        "Z" if _offset(moment) == timedelta(0) else _offset_text(moment, 3))
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d}T{moment.hour:02d}:"
            f"{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}"
            f"{instant.tick}{zone}")


def _offset(moment: datetime) -> timedelta:
    return moment.utcoffset() or timedelta(0)


def _offset_text(moment: datetime, width: int) -> str:
    total = int(_offset(moment).total_seconds() // 60)
    sign = "-" if total < 0 else "+"
    hours, minutes = divmod(abs(total), 60)
    if width == 1:
        return f"{sign}{hours}"
    if width == 2:
        return f"{sign}{hours:02d}"
    return f"{sign}{hours:02d}:{minutes:02d}"


def _field(instant: Instant, run: str, conventions: Culture, genitive: bool) -> str:
    moment = instant.moment
    letter, count = run[0], len(run)
    if letter == "d":
        if count <= 2:
            return str(moment.day).zfill(count)
        day = (moment.weekday() + 1) % 7
        return conventions.days_abbreviated[day] if count == 3 else conventions.days[day]
    if letter == "M":
        if count <= 2:
            return str(moment.month).zfill(count)
        index = moment.month - 1
        if count == 3:
            names = conventions.months_abbreviated if genitive \
                else conventions.months_abbreviated_standalone
        else:
            names = conventions.months if genitive else conventions.months_standalone
        return names[index]
    if letter == "y":
        if count <= 2:
            return str(moment.year % 100).zfill(count)
        return str(moment.year).zfill(count)
    if letter == "h":
        return str(moment.hour % 12 or 12).zfill(min(count, 2))
    if letter in "Hms":
        value = {"H": moment.hour, "m": moment.minute, "s": moment.second}[letter]
        return str(value).zfill(min(count, 2))
    if letter in "fF":
        if count > 7:
            raise ArgumentTypeError("a fraction field has at most seven digits")
        digits = f"{moment.microsecond:06d}{instant.tick}"[:count]
        return digits if letter == "f" else digits.rstrip("0")
    if letter == "t":
        half = conventions.am if moment.hour < 12 else conventions.pm
        return half[:1] if count == 1 else half
    if letter == "z":
        return _offset_text(moment, min(count, 3))
    if letter == "K":
        if moment.tzinfo is None:
            return ""
        return "Z" if _offset(moment) == timedelta(0) else _offset_text(moment, 3)
    return conventions.era


def format_timestamp(instant: Instant | datetime, fmt: str | None = None,
                     conventions: Culture | None = None) -> str:
    """Write a timestamp with a .NET standard (one letter) or custom format string.

    Raises:
        ArgumentTypeError: The format is a single letter that is not a standard format.
    """
    if isinstance(instant, datetime):
        instant = Instant(instant)
    if not fmt or fmt in ("o", "O"):
        return _round_trip(instant)
    conventions = conventions or culture(None, 3)
    if len(fmt) == 1:
        pattern = INVARIANT_PATTERNS.get(fmt) or conventions.patterns.get(fmt)
        if pattern is None:
            raise ArgumentTypeError(f"'{fmt}' is not a standard date and time format")
        if fmt in INVARIANT_PATTERNS:
            conventions = culture("", 3)
        if fmt in _TO_UTC and instant.moment.tzinfo is not None:
            instant = instant.replace(instant.moment.astimezone(UTC))
        fmt = pattern
    tokens = scan_format(fmt)
    genitive = any(kind == "field" and text in ("d", "dd") for kind, text in tokens)
    out: list[str] = []
    for kind, text in tokens:
        if kind == "field":
            piece = _field(instant, text, conventions, genitive)
            if text[0] == "F" and not piece and out and out[-1].endswith("."):
                out[-1] = out[-1][:-1]  # .NET drops the point before an empty F field
            out.append(piece)
        elif kind == "date":
            out.append(conventions.date_separator)
        elif kind == "time":
            out.append(conventions.time_separator)
        else:
            out.append(text)
    return "".join(out)
