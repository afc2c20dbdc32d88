"""Reading timestamps and writing them with .NET date and time format strings (en-US).

Timestamps are Python datetimes: aware ones print their offset (``Z`` for UTC) where the
format asks for it, naive ones are .NET's "unspecified" kind and print none. Precision is
the microsecond; the seventh fractional digit .NET keeps is always written as 0.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from gateway.expressions.errors import ArgumentTypeError

__all__ = ["format_timestamp", "parse_timestamp"]

_DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
_MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"]

_ISO = re.compile(
    r"(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,7})\d*)?)?)?"
    r"\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?\Z")
_US = re.compile(
    r"(\d{1,2})/(\d{1,2})/(\d{4})"
    r"(?:\s+(\d{1,2}):(\d{2})(?::(\d{2})(?:\.(\d{1,7})\d*)?)?\s*([AaPp][Mm])?)?\Z")


def _zone(text: str | None) -> timezone | None:
    if text is None:
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


def _build(year: str, month: str, day: str, hour: str | None, minute: str | None,
           second: str | None, fraction: str | None, zone: timezone | None) -> datetime:
    micro = int((fraction or "0").ljust(7, "0")[:6])
    return datetime(int(year), int(month), int(day), int(hour or 0), int(minute or 0),
                    int(second or 0), micro, tzinfo=zone)


def parse_timestamp(text: str, index: int = 1) -> datetime:
    """Read an ISO 8601, ``MM/dd/yyyy [h:mm[:ss] [AM|PM]]`` or RFC 1123 timestamp.

    Raises:
        ArgumentTypeError: ``text`` is none of those, or names an impossible date.
    """
    value = text.strip()
    try:
        match = _ISO.match(value)
        if match:
            year, month, day, hour, minute, second, fraction, zone = match.groups()
            return _build(year, month, day, hour, minute, second, fraction, _zone(zone))
        match = _US.match(value)
        if match:
            month, day, year, hour, minute, second, fraction, half = match.groups()
            if half is not None:
                clock = int(hour) % 12 + (12 if half.lower() == "pm" else 0)
                hour = str(clock)
            return _build(year, month, day, hour, minute, second, fraction, None)
        if re.match(r"[A-Za-z]{3}, ", value):
            parsed = parsedate_to_datetime(value)
            return parsed if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (ValueError, OverflowError, TypeError, IndexError):
        pass
    raise ArgumentTypeError(f"argument {index} is not a timestamp Portway can read",
                            details=[{"argument": index}])


_STANDARD = {
    "d": "M/d/yyyy",
    "D": "dddd, MMMM d, yyyy",
    "f": "dddd, MMMM d, yyyy h:mm tt",
    "F": "dddd, MMMM d, yyyy h:mm:ss tt",
    "g": "M/d/yyyy h:mm tt",
    "G": "M/d/yyyy h:mm:ss tt",
    "M": "MMMM d",
    "m": "MMMM d",
    "O": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "o": "yyyy'-'MM'-'dd'T'HH':'mm':'ss'.'fffffffK",
    "R": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "r": "ddd, dd MMM yyyy HH':'mm':'ss 'GMT'",
    "s": "yyyy'-'MM'-'dd'T'HH':'mm':'ss",
    "t": "h:mm tt",
    "T": "h:mm:ss tt",
    "u": "yyyy'-'MM'-'dd HH':'mm':'ss'Z'",
    "U": "dddd, MMMM d, yyyy h:mm:ss tt",
    "Y": "MMMM yyyy",
    "y": "MMMM yyyy",
}
_TO_UTC = frozenset("RrUu")


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


def _field(moment: datetime, letter: str, count: int) -> str:
    # One run of a custom format letter, e.g. ("M", 3) -> "Mar".
    if letter == "d":
        if count <= 2:
            return str(moment.day).zfill(count)
        name = _DAYS[moment.weekday()]
        return name[:3] if count == 3 else name
    if letter == "M":
        if count <= 2:
            return str(moment.month).zfill(count)
        name = _MONTHS[moment.month - 1]
        return name[:3] if count == 3 else name
    if letter == "y":
        if count <= 2:
            return str(moment.year % 100).zfill(count)
        return str(moment.year).zfill(count)
    if letter == "h":
        return str(moment.hour % 12 or 12).zfill(min(count, 2))
    if letter == "H":
        return str(moment.hour).zfill(min(count, 2))
    if letter == "m":
        return str(moment.minute).zfill(min(count, 2))
    if letter == "s":
        return str(moment.second).zfill(min(count, 2))
    if letter in "fF":
        digits = f"{moment.microsecond:06d}0"[:count]
        return digits if letter == "f" else digits.rstrip("0")
    if letter == "t":
        half = "AM" if moment.hour < 12 else "PM"
        return half[:1] if count == 1 else half
    if letter == "z":
        return _offset_text(moment, min(count, 3))
    if letter == "K":
        if moment.tzinfo is None:
            return ""
        return "Z" if _offset(moment) == timedelta(0) else _offset_text(moment, 3)
    if letter == "g":
        return "A.D."
    raise AssertionError(letter)


_LETTERS = frozenset("dMyhHmsfFtzKg")


def format_timestamp(moment: datetime, fmt: str | None = None) -> str:
    """Write ``moment`` with a .NET standard (one letter) or custom format string.

    Raises:
        ArgumentTypeError: The format is a single letter that is not a standard format.
    """
    if fmt is None or fmt == "":
        fmt = "o"
    if len(fmt) == 1:
        pattern = _STANDARD.get(fmt)
        if pattern is None:
            raise ArgumentTypeError(f"'{fmt}' is not a standard date and time format")
        if fmt in _TO_UTC and moment.tzinfo is not None:
            moment = moment.astimezone(UTC)
        fmt = pattern
    out: list[str] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in ("'", '"'):
            end = fmt.find(char, i + 1)
            end = len(fmt) if end < 0 else end
            out.append(fmt[i + 1:end])
            i = end + 1
        elif char == "\\":
            out.append(fmt[i + 1:i + 2])
            i += 2
        elif char == "%":
            i += 1
        elif char in _LETTERS:
            run = i
            while run < len(fmt) and fmt[run] == char:
                run += 1
            count = min(run - i, 7) if char in "fF" else run - i
            piece = _field(moment, char, count)
            if char == "F" and not piece and out and out[-1].endswith("."):
                out[-1] = out[-1][:-1]  # .NET drops the point before an empty F field
            out.append(piece)
            i = run
        else:
            out.append(char)
            i += 1
    return "".join(out)


_PARSE_FIELDS = {
    "yyyy": r"(?P<year>\d{4})", "yy": r"(?P<year2>\d{2})", "MMMM": r"(?P<monthname>[A-Za-z]{3,9})",
    "MMM": r"(?P<monthabbr>[A-Za-z]{3})", "MM": r"(?P<month>\d{2})", "M": r"(?P<month>\d{1,2})",
    "dddd": r"[A-Za-z]{6,9}", "ddd": r"[A-Za-z]{3}", "dd": r"(?P<day>\d{2})",
    "d": r"(?P<day>\d{1,2})", "HH": r"(?P<hour>\d{2})", "H": r"(?P<hour>\d{1,2})",
    "hh": r"(?P<hour12>\d{2})", "h": r"(?P<hour12>\d{1,2})", "mm": r"(?P<minute>\d{2})",
    "m": r"(?P<minute>\d{1,2})", "ss": r"(?P<second>\d{2})", "s": r"(?P<second>\d{1,2})",
    "tt": r"(?P<half>[AaPp][Mm])", "K": r"(?P<zone>Z|[+-]\d{2}:\d{2})?",
    "zzz": r"(?P<zone>[+-]\d{2}:\d{2})",
}


def _format_regex(fmt: str) -> re.Pattern[str]:
    pattern: list[str] = []
    i = 0
    while i < len(fmt):
        char = fmt[i]
        if char in ("'", '"'):
            end = fmt.find(char, i + 1)
            end = len(fmt) if end < 0 else end
            pattern.append(re.escape(fmt[i + 1:end]))
            i = end + 1
        elif char == "\\":
            pattern.append(re.escape(fmt[i + 1:i + 2]))
            i += 2
        elif char in "fF":
            run = i
            while run < len(fmt) and fmt[run] == char:
                run += 1
            pattern.append(rf"(?P<fraction>\d{{1,{min(run - i, 7)}}})")
            i = run
        else:
            for token in sorted(_PARSE_FIELDS, key=len, reverse=True):
                if fmt.startswith(token, i):
                    pattern.append(_PARSE_FIELDS[token])
                    i += len(token)
                    break
            else:
                pattern.append(re.escape(char))
                i += 1
    try:
        return re.compile("".join(pattern) + r"\Z", re.IGNORECASE)
    except re.error:
        raise ArgumentTypeError("the format names a field twice") from None


def parse_with_format(text: str, fmt: str) -> datetime:
    """Read ``text`` with a .NET custom date and time format (en-US month names).

    Raises:
        ArgumentTypeError: The text does not match the format, or is no real date.
    """
    # Short bounds keep the regular expression's backtracking trivial.
    if len(fmt) > 64 or len(text) > 128:
        raise ArgumentTypeError("the timestamp or its format is too long to parse")
    match = _format_regex(fmt).match(text.strip())
    if match is None:
        raise ArgumentTypeError("the timestamp does not match the format")
    parts = {k: v for k, v in match.groupdict().items() if v is not None}
    try:
        year = int(parts["year"]) if "year" in parts else 2000 + int(parts.get("year2", "1"))
        if "month" in parts:
            month = int(parts["month"])
        elif "monthname" in parts or "monthabbr" in parts:
            name = (parts.get("monthname") or parts["monthabbr"]).lower()
            month = next(n for n, full in enumerate(_MONTHS, 1)
                         if full.lower() == name or full[:3].lower() == name)
        else:
            month = 1
        hour = int(parts.get("hour", 0))
        if "hour12" in parts:
            hour = int(parts["hour12"]) % 12 + (12 if parts.get("half", "am").lower() == "pm"
                                                 else 0)
        fraction = parts.get("fraction")
        return _build(str(year), str(month), parts.get("day", "1"), str(hour),
                      parts.get("minute"), parts.get("second"), fraction,
                      _zone(parts.get("zone")))
    except (ValueError, StopIteration):
        raise ArgumentTypeError("the timestamp is not a real date") from None
