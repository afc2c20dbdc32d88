"""Date and time functions. The current time always comes from the context's clock."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from gateway.expressions.context import EvaluationContext
from gateway.expressions.functions import _args
from gateway.expressions.functions.cultures import culture as _culture
from gateway.expressions.functions.datetime_format import (
    format_timestamp,
    parse_timestamp,
    parse_with_format,
)
from gateway.expressions.functions.time_zones import time_zone
from gateway.expressions.registry import FunctionRegistry

_EPOCH = datetime(1, 1, 1)
_UNITS = {"second": "seconds", "minute": "minutes", "hour": "hours", "day": "days",
          "week": "weeks", "month": "months", "year": "years"}

def _timestamp(value: Any, index: int = 1) -> datetime:
    return parse_timestamp(_args.string(value, index), index)


def _format(value: Any, index: int) -> str | None:
    return None if value is None else _args.string(value, index)


def _shift(moment: datetime, amount: int | float, unit: str) -> datetime:
    try:
        if unit == "months" or unit == "years":
            months = int(amount) * (12 if unit == "years" else 1)
            total = moment.year * 12 + (moment.month - 1) + months
            year, month = divmod(total, 12)
            day = min(moment.day, calendar.monthrange(year, month + 1)[1])
            return moment.replace(year=year, month=month + 1, day=day)
        return moment + timedelta(**{unit: amount})
    except (OverflowError, ValueError):
        raise _args.bad_value(2, "moves the timestamp out of the supported range") from None


def _unit(value: Any, index: int) -> str:
    unit = _UNITS.get(_args.string(value, index).lower())
    if unit is None:
        raise _args.bad_value(index, "must be Second, Minute, Hour, Day, Week, Month or Year")
    return unit


def _adder(unit: str) -> Any:
    def add(ctx: EvaluationContext, timestamp: Any, amount: Any, fmt: Any = None) -> str:
        moment = _shift(_timestamp(timestamp), _args.number(amount, 2), unit)
        return format_timestamp(moment, _format(fmt, 3))
    return add


def add_to_time(ctx: EvaluationContext, timestamp: Any, interval: Any, unit: Any,
                fmt: Any = None) -> str:
    moment = _shift(_timestamp(timestamp), _args.integer(interval, 2), _unit(unit, 3))
    return format_timestamp(moment, _format(fmt, 4))


def subtract_from_time(ctx: EvaluationContext, timestamp: Any, interval: Any, unit: Any,
                       fmt: Any = None) -> str:
    moment = _shift(_timestamp(timestamp), -_args.integer(interval, 2), _unit(unit, 3))
    return format_timestamp(moment, _format(fmt, 4))


def utc_now(ctx: EvaluationContext, fmt: Any = None) -> str:
    return format_timestamp(ctx.now(), _format(fmt, 1))


def get_future_time(ctx: EvaluationContext, interval: Any, unit: Any, fmt: Any = None) -> str:
    moment = _shift(ctx.now(), _args.integer(interval, 1), _unit(unit, 2))
    return format_timestamp(moment, _format(fmt, 3))


def get_past_time(ctx: EvaluationContext, interval: Any, unit: Any, fmt: Any = None) -> str:
    moment = _shift(ctx.now(), -_args.integer(interval, 1), _unit(unit, 2))
    return format_timestamp(moment, _format(fmt, 3))


def format_date_time(ctx: EvaluationContext, timestamp: Any, fmt: Any = None,
                     locale: Any = None) -> str:
    if locale is not None and _args.string(locale, 3).lower() not in ("en-us", ""):
        raise _args.bad_value(3, "names a locale other than en-us, the only one supported")
    return format_timestamp(_timestamp(timestamp), _format(fmt, 2))


def parse_date_time(ctx: EvaluationContext, timestamp: Any, locale: Any = None,
                    fmt: Any = None) -> str:
    text = _args.string(timestamp, 1)
    culture = "en-us" if locale is None else _args.string(locale, 2).lower() or "en-us"
    _culture(culture, 2)
    if fmt is not None and _args.string(fmt, 3):
        moment = parse_with_format(text, fmt)
    elif culture in ("en-us", "invariant") or not re.match(r"\s*\d{1,2}[./-]\d{1,2}[./-]",
                                                            text):
        moment = parse_timestamp(text)
    else:
        # Other cultures write the day first: 20/10/2014, 20.10.2014.
        sep = next(char for char in text if char in "./-")
        moment = parse_with_format(text, f"d{sep}M{sep}yyyy" +
                                   (" H:m:s" if text.strip().count(":") == 2 else
                                    " H:m" if ":" in text else ""))
    return format_timestamp(moment, "o")


def start_of_day(ctx: EvaluationContext, timestamp: Any, fmt: Any = None) -> str:
    moment = _timestamp(timestamp).replace(hour=0, minute=0, second=0, microsecond=0)
    return format_timestamp(moment, _format(fmt, 2))


def start_of_hour(ctx: EvaluationContext, timestamp: Any, fmt: Any = None) -> str:
    moment = _timestamp(timestamp).replace(minute=0, second=0, microsecond=0)
    return format_timestamp(moment, _format(fmt, 2))


def start_of_month(ctx: EvaluationContext, timestamp: Any, fmt: Any = None) -> str:
    moment = _timestamp(timestamp).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    return format_timestamp(moment, _format(fmt, 2))


def day_of_week(ctx: EvaluationContext, timestamp: Any) -> int:
    return (_timestamp(timestamp).weekday() + 1) % 7  # Sunday is 0


def day_of_month(ctx: EvaluationContext, timestamp: Any) -> int:
    return _timestamp(timestamp).day


def day_of_year(ctx: EvaluationContext, timestamp: Any) -> int:
    return _timestamp(timestamp).timetuple().tm_yday


def ticks(ctx: EvaluationContext, timestamp: Any) -> int:
    moment = _timestamp(timestamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 10_000_000 + delta.microseconds * 10


def _naive_utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo is None else moment.astimezone(UTC).replace(tzinfo=None)


def timespan_text(delta: timedelta) -> str:
    """Write a duration as .NET's TimeSpan does by default: ``[-][d.]hh:mm:ss[.fffffff]``."""
    sign = "-" if delta < timedelta(0) else ""
    delta = abs(delta)
    hours, rest = divmod(delta.seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    text = f"{hours:02d}:{minutes:02d}:{seconds:02d}"
    if delta.days:
        text = f"{delta.days}.{text}"
    if delta.microseconds:
        text += f".{delta.microseconds:06d}0"
    return sign + text


def date_difference(ctx: EvaluationContext, start: Any, end: Any) -> str:
    return timespan_text(_naive_utc(_timestamp(end, 2)) - _naive_utc(_timestamp(start, 1)))


def _zone(value: Any, index: int) -> ZoneInfo:
    found = time_zone(_args.string(value, index))
    if found is None:
        raise _args.bad_value(index, "is not a Windows or IANA time zone name")
    return found


def convert_time_zone(ctx: EvaluationContext, timestamp: Any, source: Any,
                      destination: Any, fmt: Any = None) -> str:
    moment = _timestamp(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(source, 2))
    else:
        _zone(source, 2)
    converted = moment.astimezone(_zone(destination, 3)).replace(tzinfo=None)
    return format_timestamp(converted, _format(fmt, 4))


def convert_from_utc(ctx: EvaluationContext, timestamp: Any, destination: Any,
                     fmt: Any = None) -> str:
    moment = _timestamp(timestamp)
    moment = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
    converted = moment.astimezone(_zone(destination, 2)).replace(tzinfo=None)
    return format_timestamp(converted, _format(fmt, 3))


def convert_to_utc(ctx: EvaluationContext, timestamp: Any, source: Any,
                   fmt: Any = None) -> str:
    moment = _timestamp(timestamp)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(source, 2))
    return format_timestamp(moment.astimezone(UTC), _format(fmt, 3))


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
    registry.register("convertTimeZone", convert_time_zone, 3, 4)
    registry.register("convertFromUtc", convert_from_utc, 2, 3)
    registry.register("convertToUtc", convert_to_utc, 2, 3)
