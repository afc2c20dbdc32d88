"""Reading timestamps.

Three readers: ``parse_timestamp`` takes what the date functions accept as input (ISO
8601 to seven fractional digits, ``MM/dd/yyyy [h:mm[:ss] [AM|PM]]``, RFC 1123);
``parse_with_format`` reads a .NET custom (or standard) format in a culture, as
``DateTime.ParseExact`` does; ``parse_in_culture`` reads the ways a culture writes dates
(``20/10/2014`` in fr-FR, ``20 octobre 2010``, ``martes 20 octubre 2020``) as
``DateTime.Parse`` does: numbers in the order of the culture's short date, month names
in any case, weekday names and the culture's date words skipped, a time and an offset.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from functools import lru_cache

from gateway.expressions.errors import ArgumentTypeError
from gateway.expressions.functions.cultures import Culture, culture
from gateway.expressions.functions.datetime_format import (
    INVARIANT_PATTERNS,
    Instant,
    scan_format,
)

__all__ = ["parse_in_culture", "parse_timestamp", "parse_with_format"]

_ISO = re.compile(
    r"([+-]?\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z")
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?\s*([AaPp][Mm])?)?\Z")
_MAX_TEXT = 128
_MAX_FORMAT = 64


def _zone(text: str | None) -> timezone | None:
    if not text:
        return None
    if text in ("Z", "z"):
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    if hours > 14 or minutes > 59:
        raise ValueError("offset out of range")
    offset = timedelta(hours=hours, minutes=minutes) * sign
    return UTC if not offset else timezone(offset)


def _build(year: int, month: int, day: int, hour: int = 0, minute: int = 0,
           second: int = 0, fraction: str | None = None,
           zone: timezone | None = None) -> Instant:
    digits = (fraction or "").ljust(7, "0")[:7]
    moment = datetime(year, month, day, hour, minute, second, int(digits[:6]), tzinfo=zone)
    return Instant(moment, int(digits[6]))


def _refuse(index: int) -> ArgumentTypeError:
    return ArgumentTypeError(f"argument {index} is not a timestamp Portway can read",
                             details=[{"argument": index}])


def parse_timestamp(text: str, index: int = 1) -> Instant:
    """Read an ISO 8601, ``MM/dd/yyyy [h:mm[:ss] [AM|PM]]`` or RFC 1123 timestamp.

    Raises:
        ArgumentTypeError: ``text`` is none of those, or names an impossible date.
    """
    value = text.strip()
    if len(value) > _MAX_TEXT:
        raise _refuse(index)
    try:
        match = _ISO.match(value)
        if match:
            year, month, day, hour, minute, second, fraction, zone = match.groups()
            return _build(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                          int(second or 0), fraction, _zone(zone))
        match = _US.match(value)
        if match:
            month, day, year, hour, minute, second, fraction, half = match.groups()
            clock = int(hour or 0)
            if half is not None:
                clock = clock % 12 + (12 if half.lower() == "pm" else 0)
            return _build(int(year), int(month), int(day), clock, int(minute or 0),
                          int(second or 0), fraction)
        if re.match(r"[A-Za-z]{3}, ", value):
            parsed = parsedate_to_datetime(value)
            return Instant(parsed if parsed.tzinfo is None else parsed.astimezone(UTC))
    except (ValueError, OverflowError, TypeError, IndexError):
        pass
    raise _refuse(index)


# -- exact formats ----------------------------------------------------------------------


def _alternatives(names: tuple[str, ...] | list[str]) -> str:
    unique = sorted({name for name in names if name}, key=len, reverse=True)
    return "|".join(re.escape(name) for name in unique)


def _month_names(conventions: Culture) -> list[str]:
    return [*conventions.months, *conventions.months_standalone,
            *conventions.months_abbreviated, *conventions.months_abbreviated_standalone]


def _month_number(name: str, conventions: Culture) -> int | None:
    folded = name.casefold().rstrip(".")
    for names in (conventions.months, conventions.months_standalone,
                  conventions.months_abbreviated, conventions.months_abbreviated_standalone):
        for number, candidate in enumerate(names, 1):
            if candidate.casefold().rstrip(".") == folded:
                return number
    return None


def _field_regex(run: str, conventions: Culture) -> str:
    letter, count = run[0], len(run)
    if letter == "y":
        return {1: r"(?P<year>\d{1,4})", 2: r"(?P<year2>\d{2})"}.get(
            count, rf"(?P<year>\d{{{count}}})")
    if letter == "M":
        if count <= 2:
            return r"(?P<month>\d{1,2})" if count == 1 else r"(?P<month>\d{2})"
        return f"(?P<monthname>{_alternatives(_month_names(conventions))})"
    if letter == "d":
        if count <= 2:
            return r"(?P<day>\d{1,2})" if count == 1 else r"(?P<day>\d{2})"
        return f"(?:{_alternatives([*conventions.days, *conventions.days_abbreviated])})"
    if letter in "hHms":
        group = {"h": "hour12", "H": "hour", "m": "minute", "s": "second"}[letter]
        return rf"(?P<{group}>\d{{1,2}})" if count == 1 else rf"(?P<{group}>\d{{2}})"
    if letter == "f":
        return rf"(?P<fraction>\d{{{min(count, 7)}}})"
    if letter == "F":
        return rf"(?P<fraction>\d{{0,{min(count, 7)}}})"
    if letter == "t":
        return f"(?P<half>{_alternatives([conventions.am, conventions.pm, 'AM', 'PM'])})"
    if letter == "z":
        return r"(?P<zone>[+-]\d{1,2}(?::?\d{2})?)"
    if letter == "K":
        return r"(?P<zone>Z|[+-]\d{2}:\d{2})?"
    return re.escape(conventions.era)


def _standard(fmt: str, conventions: Culture) -> tuple[str, Culture]:
    """A one-letter standard format as its pattern, and the culture it is read in."""
    if len(fmt) != 1:
        return fmt, conventions
    if fmt in INVARIANT_PATTERNS:
        return INVARIANT_PATTERNS[fmt], culture("", 3)
    return conventions.patterns.get(fmt, fmt), conventions


def _format_regex(fmt: str, conventions: Culture) -> re.Pattern[str]:
    pattern: list[str] = []
    for kind, text in scan_format(fmt):
        if kind == "field":
            pattern.append(_field_regex(text, conventions))
        elif kind == "date":
            pattern.append(re.escape(conventions.date_separator))
        elif kind == "time":
            pattern.append(re.escape(conventions.time_separator))
        else:
            pattern.append(re.escape(text))
    try:
        return re.compile("".join(pattern) + r"\Z", re.IGNORECASE)
    except re.error:
        raise ArgumentTypeError("the format names a field twice") from None


def _two_digit_year(value: int) -> int:
    # .NET's Gregorian calendar reads 00-49 as 20xx and 50-99 as 19xx.
    return 2000 + value if value <= 49 else 1900 + value


def _hour(hour: int, half: str | None, conventions: Culture) -> int:
    if half is None:
        return hour
    pm = half.casefold() in (conventions.pm.casefold(), "pm")
    return hour % 12 + (12 if pm else 0)


def parse_with_format(text: str, fmt: str, conventions: Culture) -> Instant:
    """Read ``text`` written with the .NET date and time format ``fmt``.

    Raises:
        ArgumentTypeError: The text does not match the format, or is no real date.
    """
    # Short bounds keep the regular expression's backtracking trivial.
    if len(fmt) > _MAX_FORMAT or len(text) > _MAX_TEXT:
        raise ArgumentTypeError("the timestamp or its format is too long to parse")
    universal = fmt in ("R", "r", "u")  # these patterns write UTC ("GMT", "Z")
    fmt, conventions = _standard(fmt, conventions)
    match = _format_regex(fmt, conventions).match(text.strip())
    if match is None:
        raise ArgumentTypeError("the timestamp does not match the format")
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    try:
        if "year" in parts:
            year = int(parts["year"])
        else:
            year = _two_digit_year(int(parts.get("year2", "1")))
        month = int(parts.get("month", 1))
        if "monthname" in parts:
            month = _month_number(parts["monthname"], conventions) or 0
        hour = int(parts.get("hour", 0))
        if "hour12" in parts:
            hour = _hour(int(parts["hour12"]), parts.get("half"), conventions)
        zone = UTC if universal else _zone(parts.get("zone"))
        return _build(year, month, int(parts.get("day", 1)), hour,
                      int(parts.get("minute", 0)), int(parts.get("second", 0)),
                      parts.get("fraction"), zone)
    except ValueError:
        raise ArgumentTypeError("the timestamp is not a real date") from None


# -- a culture's own ways -----------------------------------------------------------------



@lru_cache(maxsize=256)
def _time_regex(separator: str) -> re.Pattern[str]:
    # h:mm[:ss[.fffffff]] with ':' or the culture's separator ("13.05", "13 h 05"); a
    # date written with the same separator is not a time: no digit may follow.
    sep = f"(?::|{re.escape(separator)}|\\s*h\\s*)"
    return re.compile(rf"(?<![\d.])(\d{{1,2}}){sep}(\d{{1,2}})(?:{sep}(\d{{1,2}})"
                      rf"(?:[.,](\d{{1,7}})\d*)?)?(?!{sep}?\d)"
                      r"(\s*(?:Z|[+-]\d{2}:?\d{2}))?", re.IGNORECASE)

_ZONE_WORD = re.compile(r"(?:(?<=\d)|\s+)(Z|GMT|UTC)\s*\Z", re.IGNORECASE)
_WORD = re.compile(r"[^\W\d_]+")
_NUMBER = re.compile(r"\d+")


@lru_cache(maxsize=256)
def _vocabulary(conventions: Culture) -> tuple[tuple[str, str, int], ...]:
    """The words a culture's dates hold, folded, longest first: (word, kind, value) with
    kind ``month`` (value 1-12), ``half`` (0 am, 1 pm) or ``skip`` (weekday names, the
    era, and the literal words of the culture's date patterns, Spanish "de")."""
    words: dict[str, tuple[str, int]] = {}
    for names in (conventions.months, conventions.months_standalone,
                  conventions.months_abbreviated, conventions.months_abbreviated_standalone):
        for number, name in enumerate(names, 1):
            for form in (name.casefold(), name.casefold().rstrip(".")):
                words.setdefault(form, ("month", number))
    for name in (*conventions.days, *conventions.days_abbreviated):
        words.setdefault(name.casefold(), ("skip", 0))
        words.setdefault(name.casefold().rstrip("."), ("skip", 0))
    words.setdefault(conventions.era.casefold(), ("skip", 0))
    for index, half in enumerate((conventions.am, conventions.pm, "am", "pm")):
        words.setdefault(half.casefold(), ("half", index % 2))
    for pattern in conventions.patterns.values():
        for kind, text in scan_format(pattern):
            if kind == "literal":
                for word in _WORD.findall(text):
                    words.setdefault(word.casefold(), ("skip", 0))
    ordered = sorted(((word, kind, value) for word, (kind, value) in words.items() if word),
                     key=lambda entry: -len(entry[0]))
    return tuple(ordered)


def _order(pattern: str) -> str:
    """The order of day, month and year in a .NET date pattern, e.g. ``dmy``."""
    order = ""
    for kind, text in scan_format(pattern):
        letter = text[0].lower() if kind == "field" else ""
        if letter in "dmy" and letter not in order:
            order += letter
    return order


def parse_in_culture(text: str, conventions: Culture, now: datetime) -> Instant:
    """Read a timestamp as the culture writes them (see the module docstring).

    Raises:
        ArgumentTypeError: The text is no date in that culture.
    """
    value = text.strip()
    if len(value) > _MAX_TEXT:
        raise ArgumentTypeError("the timestamp is too long to parse")
    try:
        return parse_timestamp(value)
    except ArgumentTypeError:
        pass
    try:
        return _parse_loose(value, conventions, now)
    except (ValueError, OverflowError):
        raise ArgumentTypeError("the timestamp is not a real date") from None


def _parse_loose(value: str, conventions: Culture, now: datetime) -> Instant:
    failure = ArgumentTypeError("the timestamp is not a date in that culture")
    zone = None
    found = _ZONE_WORD.search(value)
    if found:
        zone = UTC
        value = value[:found.start()]
    hour = minute = second = 0
    fraction = None
    timed = _time_regex(conventions.time_separator).search(value)
    if timed:
        hour, minute = int(timed.group(1)), int(timed.group(2))
        second = int(timed.group(3) or 0)
        fraction = timed.group(4)
        if timed.group(5):
            zone = _zone(timed.group(5).strip().upper())
        value = value[:timed.start()] + " " + value[timed.end():]
    # Take out the culture's words, longest first; no other letter may remain.
    folded = value.casefold()
    month = None
    half = None
    for word, kind, number in _vocabulary(conventions):
        while word in folded:
            position = folded.index(word)
            folded = folded[:position] + " " + folded[position + len(word):]
            if kind == "month" and month is None:
                month = number
            elif kind == "half":
                half = number
    if any(char.isalpha() for char in folded):
        raise failure
    if half is not None:
        hour = hour % 12 + 12 * half
    numbers = [(int(n), len(n)) for n in _NUMBER.findall(folded)]
    fields: dict[str, int] = {}
    # A number of three or more digits, or past 31, can only be the year.
    rest = []
    for number, width in numbers:
        if "y" not in fields and (width >= 3 or number > 31):
            fields["y"] = number
        else:
            rest.append((number, width))
    order = _order(conventions.patterns["D" if month is not None else "d"]) or "mdy"
    if month is not None:
        order = order.replace("m", "")
    if "y" in fields:
        order = order.replace("y", "")
    for letter, (number, width) in zip(order, rest, strict=False):
        fields[letter] = _two_digit_year(number) if letter == "y" and width <= 2 else number
    if len(rest) > len(order) or "d" not in fields or (month is None and "m" not in fields):
        raise failure
    return _build(fields.get("y", now.year), month or fields["m"], fields["d"],
                  hour, minute, second, fraction, zone)
