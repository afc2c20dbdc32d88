"""Culture data for numbers and dates, read from the CLDR data Babel ships.

A ``Culture`` holds what .NET's ``NumberFormatInfo`` and ``DateTimeFormatInfo`` give the
Logic Apps functions: separators and signs, the currency and percent patterns, month and
day names, AM/PM designators and the standard date and time patterns, converted from
CLDR's pattern syntax to .NET's (``EEEE`` is ``dddd``, ``a`` is ``tt``...). .NET on ICU
builds its cultures from the same CLDR data, so the two agree where CLDR versions do.

Locale names are RFC 4646 tags in any case (``en-US``, ``fr-fr``, ``de``, ``zh-Hans-CN``);
``None`` means ``en-US``, the Logic Apps default; ``""`` and ``invariant`` mean the
invariant culture (CLDR's root locale with English names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from babel import Locale, UnknownLocaleError, numbers
from babel.core import get_global

from gateway.expressions.errors import ArgumentTypeError

__all__ = ["Culture", "culture"]

_TAG = re.compile(r"[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*\Z")


@dataclass(frozen=True)
class Affixes:
    """Text before and after the digits, for positive and negative values."""

    positive_prefix: str
    positive_suffix: str
    negative_prefix: str
    negative_suffix: str

    def wrap(self, digits: str, negative: bool) -> str:
        """Put ``digits`` between the affixes for its sign."""
        if negative:
            return self.negative_prefix + digits + self.negative_suffix
        return self.positive_prefix + digits + self.positive_suffix


@dataclass(frozen=True)
class Culture:
    """The number and date conventions of one locale."""

    name: str
    decimal: str
    group: str
    minus: str
    plus: str
    percent: str
    permille: str
    group_sizes: tuple[int, int]
    currency_symbol: str
    currency_digits: int
    currency: Affixes
    percent_affixes: Affixes
    months: tuple[str, ...]  # wide, format context ("genitive" in .NET's terms)
    months_standalone: tuple[str, ...]
    months_abbreviated: tuple[str, ...]
    months_abbreviated_standalone: tuple[str, ...]
    days: tuple[str, ...]  # Sunday first, as .NET's DayOfWeek
    days_abbreviated: tuple[str, ...]
    am: str
    pm: str
    era: str
    date_separator: str
    time_separator: str
    patterns: dict[str, str]  # .NET standard format letter -> .NET custom pattern

    def __hash__(self) -> int:
        return hash(self.name)


def _affixes(pattern: numbers.NumberPattern, symbol: str, sign: str,
             culture_minus: str) -> Affixes:
    def local(text: str) -> str:
        return text.replace("¤", symbol).replace("%", sign).replace("-", culture_minus)

    return Affixes(local(pattern.prefix[0]), local(pattern.suffix[0]),
                   local(pattern.prefix[1]), local(pattern.suffix[1]))


_CLDR_FIELD = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.DOTALL)


def dotnet_pattern(cldr: str, short_date: bool = False) -> str:
    """Convert a CLDR date/time pattern to a .NET custom format string.

    As .NET's ICU culture loader does: years become ``yyyy`` (``yy`` too in the short
    date, which .NET widens to four digits), weekdays ``ddd``/``dddd``, the day period
    ``tt``; time zone fields are dropped.
    """
    out: list[str] = []
    for match in _CLDR_FIELD.finditer(cldr):
        piece = match.group(0)
        letter, size = piece[0], len(piece)
        if letter == "'":
            out.append(piece if len(piece) > 2 else "\\'")
        elif not ("a" <= letter <= "z" or "A" <= letter <= "Z"):
            out.append("\\" + piece if piece in "\\\"%" else piece)
        elif letter in "yuU":
            out.append("yy" if size == 2 and not short_date else "yyyy")
        elif letter in "ML":
            out.append("M" * min(size, 4))
        elif letter == "d":
            out.append("d" * min(size, 2))
        elif letter in "Eec":
            out.append("dddd" if size >= 4 else "ddd")
        elif letter in "hK":
            out.append("h" * min(size, 2))
        elif letter in "Hk":
            out.append("H" * min(size, 2))
        elif letter in "ms":
            out.append(letter * min(size, 2))
        elif letter == "S":
            out.append("f" * min(size, 7))
        elif letter in "abB":
            out.append("tt")
        elif letter == "G":
            out.append("g")
        # zone, week and quarter fields have no .NET equivalent in these patterns
    text = "".join(out).strip()
    # Windows-hosted Logic Apps write a plain space before the day period where recent
    # CLDR data has a narrow no-break space ("5:18 AM", as the reference prints it).
    return text.replace("\u202f", " ")


def _separator(pattern: str, letters: str, default: str) -> str:
    match = re.search(rf"[{letters}]+([^{letters}'\s])[{letters}]", pattern)
    return match.group(1) if match else default


def _standard_patterns(locale: Locale) -> dict[str, str]:
    short_date = dotnet_pattern(locale.date_formats["short"].pattern, short_date=True)
    long_date = dotnet_pattern(locale.date_formats["full"].pattern)
    short_time = dotnet_pattern(locale.time_formats["short"].pattern)
    long_time = dotnet_pattern(locale.time_formats["medium"].pattern)
    skeletons = locale.datetime_skeletons
    month_day = dotnet_pattern(str(skeletons["MMMMd"].pattern)) if "MMMMd" in skeletons \
        else "MMMM d"
    year_month = dotnet_pattern(str(skeletons["yMMMM"].pattern)) if "yMMMM" in skeletons \
        else "MMMM yyyy"
    return {
        "d": short_date, "D": long_date, "t": short_time, "T": long_time,
        "f": f"{long_date} {short_time}", "F": f"{long_date} {long_time}",
        "g": f"{short_date} {short_time}", "G": f"{short_date} {long_time}",
        "U": f"{long_date} {long_time}", "M": month_day, "m": month_day,
        "Y": year_month, "y": year_month,
    }


def _names(mapping: object, keys: range) -> tuple[str, ...]:
    return tuple(str(mapping[key]) for key in keys)  # type: ignore[index]


def _currency_code(locale: Locale) -> str | None:
    territory = locale.territory
    if territory is None:
        likely = get_global("likely_subtags").get(locale.language, "")
        territory = next((part for part in likely.split("_")[1:]
                          if part.isupper() and len(part) == 2), None)
    if territory is None:
        return None
    found = numbers.get_territory_currencies(territory)
    return found[0] if found else None


def _build(name: str, locale: Locale) -> Culture:
    symbols = locale.number_symbols.get("latn", locale.number_symbols)
    minus = symbols.get("minusSign", "-")
    percent = symbols.get("percentSign", "%")
    code = _currency_code(locale) if name != "" else None
    symbol = numbers.get_currency_symbol(code, locale) if code else "¤"
    digits = numbers.get_currency_precision(code) if code else 2
    decimal_pattern = locale.decimal_formats[None]
    grouping = decimal_pattern.grouping
    # The root locale stands for .NET's invariant culture, whose names are English.
    names = locale if locale.language != "root" else Locale("en")
    months = names.months
    days = names.days["format"]
    periods = names.day_periods["format"]["abbreviated"]
    short_date = locale.date_formats["short"].pattern
    medium_time = locale.time_formats["medium"].pattern
    return Culture(
        name=name,
        decimal=symbols.get("decimal", "."),
        group=symbols.get("group", ","),
        minus=minus,
        plus=symbols.get("plusSign", "+"),
        percent=percent,
        permille=symbols.get("perMille", "‰"),
        group_sizes=(int(grouping[0]), int(grouping[1])),
        currency_symbol=symbol,
        currency_digits=digits,
        currency=_affixes(locale.currency_formats["standard"], symbol, percent, minus),
        percent_affixes=_affixes(locale.percent_formats[None], symbol, percent, minus),
        months=_names(months["format"]["wide"], range(1, 13)),
        months_standalone=_names(months["stand-alone"]["wide"], range(1, 13)),
        months_abbreviated=_names(months["format"]["abbreviated"], range(1, 13)),
        months_abbreviated_standalone=_names(months["stand-alone"]["abbreviated"],
                                             range(1, 13)),
        # CLDR numbers weekdays from Monday (0); .NET from Sunday.
        days=tuple(str(days["wide"][(i + 6) % 7]) for i in range(7)),
        days_abbreviated=tuple(str(days["abbreviated"][(i + 6) % 7]) for i in range(7)),
        am=str(periods.get("am", "AM")),
        pm=str(periods.get("pm", "PM")),
        era=str(names.eras["abbreviated"][1]),
        date_separator=_separator(short_date, "yMdLu", "/"),
        time_separator=_separator(medium_time, "hHmsKk", ":"),
        patterns=_standard_patterns(locale),
    )


def _normalise(tag: str) -> str:
    parts = re.split(r"[-_]", tag)
    out = [parts[0].lower()]
    for part in parts[1:]:
        if len(part) == 4 and part.isalpha():
            out.append(part.title())
        elif len(part) in (2, 3) and (part.isalpha() or part.isdigit()):
            out.append(part.upper())
        else:
            out.append(part)
    return "_".join(out)


@lru_cache(maxsize=256)
def _load(key: str) -> Culture | None:
    if key in ("", "invariant", "iv"):
        return _build("", Locale.parse("root"))
    if not _TAG.match(key):
        return None
    try:
        locale = Locale.parse(_normalise(key))
    except (UnknownLocaleError, ValueError, TypeError):
        return None
    return _build(key, locale)


def culture(name: str | None, index: int) -> Culture:
    """Return the culture called ``name`` (any case); ``en-US`` when None.

    Raises:
        ArgumentTypeError: No locale of that name exists.
    """
    key = "en-us" if name is None else name.strip().lower()
    found = _load(key)
    if found is None:
        raise ArgumentTypeError(f"argument {index}: the locale '{name}' is not a valid "
                                "locale", details=[{"argument": index}])
    return found
