"""When a schedule is due: Logic Apps' ``Recurrence`` and ``SlidingWindow`` as pure functions.

Nothing here reads the clock: callers pass the moment they ask about (the scheduler passes
its injected clock's ``now()``), so every rule is tested without sleeping::

    recurrence = parse_recurrence({"frequency": "Day", "interval": 1,
                                   "timeZone": "W. Europe Standard Time",
                                   "startTime": "2026-03-01T08:00:00"})
    next_occurrence(recurrence, after=datetime(2026, 3, 29, 7, 0, tzinfo=UTC))
    # 2026-03-29 06:00 UTC: 08:00 in Amsterdam, now on summer time

The rules, where Logic Apps leaves room, are the ones .NET's calendar arithmetic gives:

- ``Second``, ``Minute`` and ``Hour`` count elapsed time from the start, so an hourly
  trigger stays 60 minutes apart across a DST change. ``Day``, ``Week`` and ``Month`` count
  wall-clock time in ``timeZone`` (UTC when none), so "08:00 daily" stays 08:00 locally.
- A wall-clock time that a spring-forward skips runs that many minutes later (02:30 in a
  zone that jumps from 02:00 to 03:00 runs at 03:30); one that a fall-back repeats runs
  once, at its first occurrence.
- ``Month`` without a schedule keeps the start's day and uses a shorter month's last day
  (start 31 January: 29 February in a leap year, then 31 March), as ``AddMonths`` does.
  ``schedule.monthDays`` are exact (31 skips the months without one); ``-1`` is the last day.
- A ``schedule`` (Day, Week and Month only) picks times inside each period the interval
  steps over; hours and minutes it leaves out are the start's (seconds are then 0). Weeks
  begin on Sunday, as .NET's ``DayOfWeek`` counts them.
- Without ``startTime`` the caller's ``anchor`` (when the trigger was enabled) is the start,
  so the first occurrence is at the anchor itself: Logic Apps runs such a trigger at once.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from typing import Any

from gateway.expressions import is_expression, time_zone
from runtime.engine import iso
from runtime.errors import RecurrenceInvalid

__all__ = [
    "FREQUENCIES",
    "Recurrence",
    "Window",
    "due_windows",
    "next_occurrence",
    "occurrences",
    "parse_recurrence",
    "written_with_expressions",
]

FREQUENCIES = ("Second", "Minute", "Hour", "Day", "Week", "Month")
_ELAPSED = {"Second": 1, "Minute": 60, "Hour": 3600}
_WEEK_DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_MAX_INTERVAL = 1_000_000
# How many periods past the first candidate a search walks before it calls a schedule empty:
# monthDays [29] every 12 months from a non-leap February needs 4 years, 5th Fridays 2 months.
_MAX_PERIODS = 500


@dataclass(frozen=True)
class Recurrence:
    """A parsed ``recurrence`` block.

    Attributes:
        frequency: One of ``FREQUENCIES``.
        interval: How many frequency units one step is (1 or more).
        zone: The zone wall-clock frequencies and naive times are read in.
        start: ``startTime`` as an aware moment, or None (the caller's anchor is used).
        end: ``endTime`` as an aware moment, or None: nothing is due after it.
        hours: ``schedule.hours`` (empty: the start's hour).
        minutes: ``schedule.minutes`` (empty: the start's minute).
        week_days: ``schedule.weekDays`` as Python weekdays (0 is Monday).
        month_days: ``schedule.monthDays`` (negative counts from the month's end).
        monthly_occurrences: ``(weekday, occurrence)`` pairs; occurrence -1 is the last.
    """

    frequency: str
    interval: int = 1
    zone: tzinfo = UTC
    start: datetime | None = None
    end: datetime | None = None
    hours: tuple[int, ...] = ()
    minutes: tuple[int, ...] = ()
    week_days: tuple[int, ...] = ()
    month_days: tuple[int, ...] = ()
    monthly_occurrences: tuple[tuple[int, int], ...] = ()

    @property
    def scheduled(self) -> bool:
        """Whether a ``schedule`` block picks the times inside each period."""
        return bool(self.hours or self.minutes or self.week_days or self.month_days
                    or self.monthly_occurrences)


@dataclass(frozen=True)
class Window:
    """One Sliding Window: ``[start, end)`` in UTC, what the trigger's outputs name."""

    start: datetime
    end: datetime

    def outputs(self) -> dict[str, str]:
        """``windowStartTime``/``windowEndTime`` as Logic Apps writes them."""
        return {"windowStartTime": iso(self.start), "windowEndTime": iso(self.end)}


def parse_recurrence(block: Any, pointer: str = "/recurrence") -> Recurrence:
    """Read a trigger's ``recurrence`` object.

    Args:
        block: The JSON value of ``recurrence``.
        pointer: Where it sits, for the error message.

    Raises:
        RecurrenceInvalid: A field is missing, of the wrong type or out of range; the
            message names its JSON pointer.
    """
    if not isinstance(block, Mapping):
        raise _invalid(pointer, "must be an object")
    frequency = _frequency(block.get("frequency"), pointer)
    interval = block.get("interval", 1)
    if isinstance(interval, str) and interval.strip().isdigit():
        interval = int(interval)
    if isinstance(interval, bool) or not isinstance(interval, int) \
            or not 1 <= interval <= _MAX_INTERVAL:
        raise _invalid(f"{pointer}/interval", f"must be a whole number from 1 to {_MAX_INTERVAL}")
    zone: tzinfo = UTC
    if block.get("timeZone") not in (None, ""):
        name = block["timeZone"]
        found = time_zone(name) if isinstance(name, str) else None
        if found is None:
            raise _invalid(f"{pointer}/timeZone", f"{name!r} is not a Windows or IANA time zone")
        zone = found
    start = _moment(block.get("startTime"), zone, f"{pointer}/startTime")
    end = _moment(block.get("endTime"), zone, f"{pointer}/endTime")
    schedule = block.get("schedule") or {}
    if not isinstance(schedule, Mapping):
        raise _invalid(f"{pointer}/schedule", "must be an object")
    at = f"{pointer}/schedule"
    recurrence = Recurrence(
        frequency=frequency, interval=interval, zone=zone, start=start, end=end,
        hours=_numbers(schedule.get("hours"), 0, 23, f"{at}/hours"),
        minutes=_numbers(schedule.get("minutes"), 0, 59, f"{at}/minutes"),
        week_days=tuple(sorted({_week_day(day, f"{at}/weekDays/{index}")
                                for index, day in enumerate(_list(schedule.get("weekDays"),
                                                                  f"{at}/weekDays"))})),
        month_days=_numbers(schedule.get("monthDays"), -31, 31, f"{at}/monthDays", zero=False),
        monthly_occurrences=_occurrences(schedule.get("monthlyOccurrences"),
                                         f"{at}/monthlyOccurrences"))
    unknown = sorted(set(schedule) - {"hours", "minutes", "weekDays", "monthDays",
                                      "monthlyOccurrences"})
    if unknown:
        raise _invalid(f"{at}/{unknown[0]}", "is not a schedule field")
    if recurrence.scheduled and frequency in _ELAPSED:
        raise _invalid(at, f"applies to Day, Week and Month recurrences, not {frequency}")
    if recurrence.week_days and frequency != "Week":
        raise _invalid(f"{at}/weekDays", "applies to Week recurrences only")
    if (recurrence.month_days or recurrence.monthly_occurrences) and frequency != "Month":
        raise _invalid(at, "monthDays and monthlyOccurrences apply to Month recurrences only")
    return recurrence


def written_with_expressions(block: Any) -> bool:
    """Whether a ``recurrence`` holds expressions (``@appsetting('...')``), so that it can
    only be parsed once they are evaluated."""
    if isinstance(block, Mapping):
        return any(written_with_expressions(item) for item in block.values())
    if isinstance(block, list):
        return any(written_with_expressions(item) for item in block)
    return is_expression(block)


def next_occurrence(recurrence: Recurrence, after: datetime, *,
                    anchor: datetime | None = None) -> datetime | None:
    """The first moment the recurrence is due strictly after ``after``.

    Args:
        recurrence: The parsed schedule.
        after: An aware moment (the last firing, or just before the trigger was enabled).
        anchor: The start when the recurrence has no ``startTime`` (the moment the trigger
            was enabled); ``after`` when omitted.

    Returns:
        An aware UTC moment, or None when nothing is due any more (past ``endTime``, or a
        schedule no calendar satisfies, such as ``monthDays`` [30] in February only).
    """
    for moment in occurrences(recurrence, after, anchor=anchor):
        return moment
    return None


def occurrences(recurrence: Recurrence, after: datetime, *,
                anchor: datetime | None = None) -> Iterator[datetime]:
    """Every moment the recurrence is due strictly after ``after``, in order (UTC)."""
    after = _aware(after)
    start = recurrence.start or _aware(anchor or after)
    period = max(0, _period_of(recurrence, start, after) - 1)
    last_found = period
    while period - last_found <= _MAX_PERIODS:
        found = False
        for moment in _candidates(recurrence, start, period):
            if moment < start or moment <= after:
                continue
            if recurrence.end is not None and moment > recurrence.end:
                return
            found = True
            yield moment
        if found:
            last_found = period
        elif recurrence.end is not None and _period_start(recurrence, start, period) \
                > recurrence.end:
            return
        period += 1


def due_windows(recurrence: Recurrence, last_end: datetime | None, now: datetime, *,
                anchor: datetime | None = None, limit: int = 100) -> list[Window]:
    """The Sliding Windows that closed after ``last_end`` and by ``now``, oldest first.

    A window closes at its end; windows missed while Portway was down are all returned
    (backfill), at most ``limit`` of them, so the caller fires them and asks again.

    Args:
        recurrence: Frequency, interval, startTime and timeZone (a schedule is refused).
        last_end: The end of the last window fired, or None for none yet.
        now: The moment asked about.
        anchor: The first window's start when the recurrence has no ``startTime``.
        limit: At most this many windows.
    """
    if recurrence.scheduled:
        raise RecurrenceInvalid("a Sliding Window trigger takes no schedule")
    now = _aware(now)
    start = recurrence.start or _aware(anchor or now)
    period = 0 if last_end is None else max(0, _period_of(recurrence, start, last_end) - 1)
    windows: list[Window] = []
    while len(windows) < limit:
        window = Window(_period_start(recurrence, start, period),
                        _period_start(recurrence, start, period + 1))
        if window.end > now or (recurrence.end is not None and window.start >= recurrence.end):
            break
        if last_end is None or window.end > last_end:
            windows.append(window)
        period += 1
    return windows


def _period_of(recurrence: Recurrence, start: datetime, moment: datetime) -> int:
    """The index of the period holding ``moment`` (may be negative)."""
    if recurrence.frequency in _ELAPSED:
        step = _ELAPSED[recurrence.frequency] * recurrence.interval
        return int((moment - start).total_seconds() // step)
    first, here = start.astimezone(recurrence.zone), moment.astimezone(recurrence.zone)
    if recurrence.frequency == "Day":
        return (here.date() - first.date()).days // recurrence.interval
    if recurrence.frequency == "Week":
        return (_sunday(here.date()) - _sunday(first.date())).days // (7 * recurrence.interval)
    months = (here.year - first.year) * 12 + here.month - first.month
    return months // recurrence.interval


def _period_start(recurrence: Recurrence, start: datetime, period: int) -> datetime:
    """Where period ``period`` begins: elapsed time, or the start's wall clock moved on."""
    if recurrence.frequency in _ELAPSED:
        step = _ELAPSED[recurrence.frequency] * recurrence.interval
        return (start + timedelta(seconds=step * period)).astimezone(UTC)
    local = start.astimezone(recurrence.zone)
    return _utc(_shift(recurrence, local.date(), period), local.time(), recurrence.zone)


def _shift(recurrence: Recurrence, day: date, period: int) -> date:
    if recurrence.frequency == "Day":
        return day + timedelta(days=period * recurrence.interval)
    if recurrence.frequency == "Week":
        return day + timedelta(weeks=period * recurrence.interval)
    return _add_months(day, period * recurrence.interval)


def _candidates(recurrence: Recurrence, start: datetime, period: int) -> list[datetime]:
    """The moments period ``period`` holds, sorted."""
    if not recurrence.scheduled:
        return [_period_start(recurrence, start, period)]
    local = start.astimezone(recurrence.zone)
    hours = recurrence.hours or (local.hour,)
    minutes = recurrence.minutes or (local.minute,)
    days: list[date]
    if recurrence.frequency == "Day":
        days = [_shift(recurrence, local.date(), period)]
    elif recurrence.frequency == "Week":
        sunday = _sunday(local.date()) + timedelta(weeks=period * recurrence.interval)
        week_days = recurrence.week_days or (local.weekday(),)
        days = [sunday + timedelta(days=(weekday + 1) % 7) for weekday in week_days]
    else:
        first = _add_months(local.date().replace(day=1), period * recurrence.interval)
        days = _month_days(recurrence, first, local.day)
    moments = {_utc(day, time(hour, minute), recurrence.zone)
               for day in days for hour in hours for minute in minutes}
    return sorted(moments)


def _month_days(recurrence: Recurrence, first: date, start_day: int) -> list[date]:
    length = calendar.monthrange(first.year, first.month)[1]
    days: set[date] = set()
    for number in recurrence.month_days:
        day = number if number > 0 else length + 1 + number
        if 1 <= day <= length:
            days.add(first.replace(day=day))
    for weekday, occurrence in recurrence.monthly_occurrences:
        matching = [first.replace(day=day) for day in range(1, length + 1)
                    if first.replace(day=day).weekday() == weekday]
        index = occurrence - 1 if occurrence > 0 else len(matching) + occurrence
        if 0 <= index < len(matching):
            days.add(matching[index])
    if not recurrence.month_days and not recurrence.monthly_occurrences:
        days.add(first.replace(day=min(start_day, length)))
    return sorted(days)


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    length = calendar.monthrange(year, month + 1)[1]
    return date(year, month + 1, min(day.day, length))


def _sunday(day: date) -> date:
    return day - timedelta(days=(day.weekday() + 1) % 7)


def _utc(day: date, clock: time, zone: tzinfo) -> datetime:
    """A wall-clock time in ``zone`` as UTC: a skipped time runs later, a repeated one once."""
    local = datetime.combine(day, clock.replace(tzinfo=None, fold=0), tzinfo=zone)
    return local.astimezone(UTC)


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("schedules compare aware datetimes only")
    return moment.astimezone(UTC)


def _invalid(pointer: str, message: str) -> RecurrenceInvalid:
    return RecurrenceInvalid(f"{pointer} {message}", details=[{"pointer": pointer,
                                                               "message": message}])


def _frequency(value: Any, pointer: str) -> str:
    if isinstance(value, str):
        for name in FREQUENCIES:
            if value.strip().lower() == name.lower():
                return name
    raise _invalid(f"{pointer}/frequency", f"must be one of {', '.join(FREQUENCIES)}")


def _moment(value: Any, zone: tzinfo, pointer: str) -> datetime | None:
    """An ISO 8601 time: with an offset as written, without one in ``zone``."""
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise _invalid(pointer, "must be an ISO 8601 date and time")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _invalid(pointer, f"{value!r} is not an ISO 8601 date and time") from None
    if parsed.tzinfo is None:
        parsed = datetime.combine(parsed.date(), parsed.time(), tzinfo=zone)
    return parsed.astimezone(UTC)


def _list(value: Any, pointer: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise _invalid(pointer, "must be an array")
    return value


def _numbers(value: Any, low: int, high: int, pointer: str, *,
             zero: bool = True) -> tuple[int, ...]:
    numbers: set[int] = set()
    for index, item in enumerate(_list(value, pointer)):
        if isinstance(item, str) and item.strip().lstrip("-").isdigit():
            item = int(item)
        if isinstance(item, bool) or not isinstance(item, int) or not low <= item <= high \
                or (item == 0 and not zero):
            raise _invalid(f"{pointer}/{index}", f"must be a whole number from {low} to {high}"
                           + ("" if zero else ", not 0"))
        numbers.add(item)
    return tuple(sorted(numbers))


def _week_day(value: Any, pointer: str) -> int:
    if isinstance(value, str):
        for number, name in enumerate(_WEEK_DAYS):
            if value.strip().lower() == name.lower():
                return number
    raise _invalid(pointer, "must be a day name such as Monday")


def _occurrences(value: Any, pointer: str) -> tuple[tuple[int, int], ...]:
    pairs: set[tuple[int, int]] = set()
    for index, item in enumerate(_list(value, pointer)):
        at = f"{pointer}/{index}"
        if not isinstance(item, Mapping):
            raise _invalid(at, "must be an object with day and occurrence")
        occurrence = item.get("occurrence")
        if isinstance(occurrence, bool) or not isinstance(occurrence, int) \
                or occurrence == 0 or not -5 <= occurrence <= 5:
            raise _invalid(f"{at}/occurrence", "must be 1 to 5, or -1 to -5 from the end")
        pairs.add((_week_day(item.get("day"), f"{at}/day"), occurrence))
    return tuple(sorted(pairs))
