"""Date and time functions. The current time always comes from the context's clock.

Timestamps are read by ``datetime_parse.parse_timestamp`` and written by
``datetime_format.format_timestamp`` (format ``o`` unless one is given), to 100 ns.
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime, timedelta
from typing import Any

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import Culture, culture
from gateway.expressions.functions.datetime_format import Instant, format_timestamp
from gateway.expressions.functions.datetime_parse import (
    parse_in_culture,
    parse_timestamp,
    parse_with_format,
)
from gateway.expressions.registry import FunctionRegistry

__all__ = ["formatted", "register", "timestamp", "timestamp_format"]

_EPOCH = datetime(1, 1, 1)
_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days",
          "week": "weeks", "month": "months", "year": "years"}


def timestamp(value: Any, index: int = 1) -> Instant:
    """Read a timestamp argument."""
    return parse_timestamp(_args.string(value, index), index)


def timestamp_format(value: Any, index: int) -> str | None:
    """Read an optional format argument."""
    return None if value is None else _args.string(value, index)


def formatted(instant: Instant, fmt: Any, index: int, conventions: Culture | None = None
              ) -> str:
    """Write ``instant`` with the optional format argument at ``index``."""
    return format_timestamp(instant, timestamp_format(fmt, index), conventions)


def _shift(instant: Instant, amount: int | float, unit: str) -> Instant:
    moment = instant.moment
    try:
        if unit == "months" or unit == "years":
            months = int(amount) * (12 if unit == "years" else 1)
            total = moment.year * 12 + (moment.month - 1) + months
            year, month = divmod(total, 12)
            day = min(moment.day, calendar.monthrange(year, month + 1)[1])
            return instant.replace(moment.replace(year=year, month=month + 1, day=day))
        return instant.replace(moment + timedelta(**{unit: amount}))
    except (OverflowError, ValueError):
        raise _args.bad_value(2, "moves the timestamp out of the supported range") from None


def _unit(value: Any, index: int) -> str:
    unit = _UNITS.get(_args.string(value, index).lower())
    if unit is None:
        raise _args.bad_value(index, "must be Second, Minute, Hour, Day, Week, Month or Year")
    return unit


def _adder(unit: str) -> Any:
    def add(ctx: EvaluationContext, value: Any, amount: Any, fmt: Any = None) -> str:
        return formatted(_shift(timestamp(value), _args.number(amount, 2), unit), fmt, 3)
    return add


def add_to_time(ctx: EvaluationContext, value: Any, interval: Any, unit: Any,
                fmt: Any = None) -> str:
    moment = _shift(timestamp(value), _args.integer(interval, 2), _unit(unit, 3))
    return formatted(moment, fmt, 4)


def subtract_from_time(ctx: EvaluationContext, value: Any, interval: Any, unit: Any,
                       fmt: Any = None) -> str:
    moment = _shift(timestamp(value), -_args.integer(interval, 2), _unit(unit, 3))
    return formatted(moment, fmt, 4)


def utc_now(ctx: EvaluationContext, fmt: Any = None) -> str:
    return formatted(Instant(ctx.now()), fmt, 1)


def get_future_time(ctx: EvaluationContext, interval: Any, unit: Any, fmt: Any = None) -> str:
    moment = _shift(Instant(ctx.now()), _args.integer(interval, 1), _unit(unit, 2))
    return formatted(moment, fmt, 3)


def get_past_time(ctx: EvaluationContext, interval: Any, unit: Any, fmt: Any = None) -> str:
    moment = _shift(Instant(ctx.now()), -_args.integer(interval, 1), _unit(unit, 2))
    return formatted(moment, fmt, 3)


def _culture_argument(value: Any, index: int) -> Culture:
    return culture(None if value is None else _args.string(value, index), index)


def format_date_time(ctx: EvaluationContext, value: Any, fmt: Any = None,
                     locale: Any = None) -> str:
    return formatted(timestamp(value), fmt, 2, _culture_argument(locale, 3))


def parse_date_time(ctx: EvaluationContext, value: Any, locale: Any = None,
                    fmt: Any = None) -> str:
    text = _args.string(value, 1)
    conventions = _culture_argument(locale, 2)
    pattern = timestamp_format(fmt, 3)
    if pattern:
        instant = parse_with_format(text, pattern, conventions)
    else:
        instant = parse_in_culture(text, conventions, ctx.now())
    return format_timestamp(instant, "o")


def start_of_day(ctx: EvaluationContext, value: Any, fmt: Any = None) -> str:
    moment = timestamp(value).moment
    return formatted(Instant(moment.replace(hour=0, minute=0, second=0, microsecond=0)),
                     fmt, 2)


def start_of_hour(ctx: EvaluationContext, value: Any, fmt: Any = None) -> str:
    moment = timestamp(value).moment
    return formatted(Instant(moment.replace(minute=0, second=0, microsecond=0)), fmt, 2)


def start_of_month(ctx: EvaluationContext, value: Any, fmt: Any = None) -> str:
    moment = timestamp(value).moment
    return formatted(Instant(moment.replace(day=1, hour=0, minute=0, second=0,
                                            microsecond=0)), fmt, 2)


def day_of_week(ctx: EvaluationContext, value: Any) -> int:
    return (timestamp(value).moment.weekday() + 1) % 7  # Sunday is 0


def day_of_month(ctx: EvaluationContext, value: Any) -> int:
    return timestamp(value).moment.day


def day_of_year(ctx: EvaluationContext, value: Any) -> int:
    return timestamp(value).moment.timetuple().tm_yday


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def _ticks(instant: Instant) -> int:
    delta = _naive_utc(instant.moment) - _EPOCH
    seconds = delta.days * 86_400 + delta.seconds
    return seconds * 10_000_000 + delta.microseconds * 10 + instant.tick


def ticks(ctx: EvaluationContext, value: Any) -> int:
    return _ticks(timestamp(value))


def timespan_text(ticks_between: int) -> str:
    """Write a duration in 100 ns ticks as .NET's TimeSpan does:
    ``[-][d.]hh:mm:ss[.fffffff]``."""
    sign = "-" if ticks_between < 0 else ""
    seconds, fraction = divmod(abs(ticks_between), 10_000_000)
    days, seconds = divmod(seconds, 86_400)
    hours, seconds = divmod(seconds, 3600)
    minutes, seconds = divmod(seconds, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if days:
        text = f"{days}.{text}"
    if fraction:
        text += f".{fraction:07d}"
    return sign + text


def date_difference(ctx: EvaluationContext, start: Any, end: Any) -> str:
    return timespan_text(_ticks(timestamp(end, 2)) - _ticks(timestamp(start, 1)))


def register(registry: FunctionRegistry) -> None:
    """Add the date and time functions to ``registry``."""
    for name, unit in (("addDays", "days"), ("addHours", "hours"),
                       ("addMinutes", "minutes"), ("addSeconds", "seconds")):
        registry.register(name, _adder(unit), 2, 3)
    registry.register("addToTime", add_to_time, 3, 4)
    registry.register("subtractFromTime", subtract_from_time, 3, 4)
    registry.register("utcNow", utc_now, 0, 1)
    registry.register("getFutureTime", get_future_time, 2, 3)
    registry.register("getPastTime", get_past_time, 2, 3)
    registry.register("formatDateTime", format_date_time, 1, 3)
    registry.register("parseDateTime", parse_date_time, 1, 3)
    registry.register("startOfDay", start_of_day, 1, 2)
    registry.register("startOfHour", start_of_hour, 1, 2)
    registry.register("startOfMonth", start_of_month, 1, 2)
    registry.register("dateDifference", date_difference, 2, 2)
    registry.register("dayOfWeek", day_of_week, 1, 1)
    registry.register("dayOfMonth", day_of_month, 1, 1)
    registry.register("dayOfYear", day_of_year, 1, 1)
    registry.register("ticks", ticks, 1, 1)
