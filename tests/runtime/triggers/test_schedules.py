"""Recurrence and Sliding Window schedules on given moments: DST in two zones, month ends,
leap days, backfill. Nothing sleeps: every test names the moment it asks about."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest

from runtime.errors import RecurrenceInvalid
from runtime.triggers.schedules import (
    Window,
    due_windows,
    next_occurrence,
    occurrences,
    parse_recurrence,
)


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def first(block: dict[str, Any], after: datetime, count: int,
          anchor: datetime | None = None) -> list[datetime]:
    found = occurrences(parse_recurrence(block), after, anchor=anchor)
    return [next(found) for _ in range(count)]


def test_daily_wall_clock_follows_amsterdam_across_both_dst_changes() -> None:
    block = {"frequency": "Day", "interval": 1, "timeZone": "W. Europe Standard Time",
             "startTime": "2026-03-01T08:00:00"}
    # Summer time starts 29 March 2026 and ends 25 October 2026 in Europe.
    assert first(block, utc(2026, 3, 27, 12), 3) == [
        utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)]
    assert first(block, utc(2026, 10, 24, 12), 2) == [utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)]


def test_pacific_skipped_time_runs_later_and_repeated_time_runs_once() -> None:
    block = {"frequency": "Day", "interval": 1, "timeZone": "Pacific Standard Time",
             "startTime": "2026-01-01T02:30:00"}
    # 8 March 2026 has no 02:30 (02:00 PST -> 03:00 PDT): it runs at 03:30 PDT.
    assert first(block, utc(2026, 3, 7, 0), 3) == [
        utc(2026, 3, 7, 10, 30), utc(2026, 3, 8, 10, 30), utc(2026, 3, 9, 9, 30)]
    fall = {**block, "startTime": "2026-01-01T01:30:00"}
    # 1 November 2026 has 01:30 twice (PDT, then PST): one run, at the first.
    assert first(fall, utc(2026, 10, 31, 12), 3) == [
        utc(2026, 11, 1, 8, 30), utc(2026, 11, 2, 9, 30), utc(2026, 11, 3, 9, 30)]


def test_hourly_counts_elapsed_time_across_a_dst_change() -> None:
    block = {"frequency": "Hour", "interval": 1, "timeZone": "Pacific Standard Time",
             "startTime": "2026-03-08T00:15:00"}
    found = first(block, utc(2026, 3, 8, 8), 4)
    assert [b - a for a, b in pairwise(found)] == [timedelta(hours=1)] * 3
    assert found[0] == utc(2026, 3, 8, 8, 15)


def test_every_90_seconds_from_a_utc_start() -> None:
    block = {"frequency": "Second", "interval": 90, "startTime": "2026-01-01T00:00:00Z"}
    assert first(block, utc(2026, 1, 1, 0, 3), 2) == [
        utc(2026, 1, 1, 0, 4, 30), utc(2026, 1, 1, 0, 6)]


def test_monthly_from_the_31st_uses_shorter_months_last_day_and_leap_february() -> None:
    block = {"frequency": "Month", "interval": 1, "startTime": "2028-01-31T06:00:00Z"}
    assert first(block, utc(2028, 1, 1), 4) == [
        utc(2028, 1, 31, 6), utc(2028, 2, 29, 6), utc(2028, 3, 31, 6), utc(2028, 4, 30, 6)]
    assert next_occurrence(parse_recurrence({**block, "startTime": "2027-01-31T06:00:00Z"}),
                           utc(2027, 2, 1)) == utc(2027, 2, 28, 6)


def test_month_days_are_exact_and_minus_one_is_the_last_day() -> None:
    the31st = {"frequency": "Month", "interval": 1, "startTime": "2024-01-01T00:00:00Z",
               "schedule": {"monthDays": [31], "hours": [9]}}
    assert first(the31st, utc(2024, 1, 1), 3) == [
        utc(2024, 1, 31, 9), utc(2024, 3, 31, 9), utc(2024, 5, 31, 9)]
    last = {**the31st, "schedule": {"monthDays": [-1], "hours": [9]}}
    assert first(last, utc(2024, 1, 31, 10), 2) == [utc(2024, 2, 29, 9), utc(2024, 3, 31, 9)]


def test_leap_day_every_twelve_months_waits_for_the_leap_year() -> None:
    block = {"frequency": "Month", "interval": 12, "startTime": "2025-02-01T00:00:00Z",
             "schedule": {"monthDays": [29], "hours": [0], "minutes": [0]}}
    assert first(block, utc(2025, 2, 1), 2) == [utc(2028, 2, 29), utc(2032, 2, 29)]


def test_monthly_occurrences_first_monday_and_last_friday() -> None:
    block = {"frequency": "Month", "interval": 1, "startTime": "2026-01-01T00:00:00Z",
             "schedule": {"hours": [12], "minutes": [0], "monthlyOccurrences": [
                 {"day": "Monday", "occurrence": 1}, {"day": "Friday", "occurrence": -1}]}}
    assert first(block, utc(2026, 1, 1), 4) == [
        utc(2026, 1, 5, 12), utc(2026, 1, 30, 12), utc(2026, 2, 2, 12), utc(2026, 2, 27, 12)]


def test_weekly_on_given_days_and_hours_every_other_week_in_a_zone() -> None:
    block = {"frequency": "Week", "interval": 2, "timeZone": "W. Europe Standard Time",
             "startTime": "2026-06-01T00:00:00",  # a Monday, in summer time (UTC+2)
             "schedule": {"weekDays": ["Monday", "Friday"], "hours": [9, 17],
                          "minutes": [30]}}
    assert first(block, utc(2026, 5, 31), 5) == [
        utc(2026, 6, 1, 7, 30), utc(2026, 6, 1, 15, 30), utc(2026, 6, 5, 7, 30),
        utc(2026, 6, 5, 15, 30), utc(2026, 6, 15, 7, 30)]


def test_schedule_hours_take_the_start_minute_and_never_run_before_the_start() -> None:
    block = {"frequency": "Day", "interval": 1, "startTime": "2026-09-07T14:20:00Z",
             "schedule": {"hours": [8]}}
    assert first(block, utc(2026, 9, 1), 2) == [utc(2026, 9, 8, 8, 20), utc(2026, 9, 9, 8, 20)]


def test_without_a_start_the_anchor_runs_at_once_then_every_interval() -> None:
    anchor = utc(2026, 5, 5, 10, 0, 7)
    block = {"frequency": "Minute", "interval": 5}
    assert first(block, anchor - timedelta(microseconds=1), 3, anchor=anchor) == [
        anchor, anchor + timedelta(minutes=5), anchor + timedelta(minutes=10)]


def test_future_start_is_the_first_run_and_end_time_stops_it() -> None:
    recurrence = parse_recurrence({"frequency": "Day", "interval": 3,
                                   "startTime": "2030-01-01T00:00:00+01:00",
                                   "endTime": "2030-01-07T00:00:00+01:00"})
    assert next_occurrence(recurrence, utc(2026, 1, 1)) == utc(2029, 12, 31, 23)
    assert list(occurrences(recurrence, utc(2026, 1, 1))) == [
        utc(2029, 12, 31, 23), utc(2030, 1, 3, 23), utc(2030, 1, 6, 23)]
    assert next_occurrence(recurrence, utc(2030, 1, 6, 23)) is None


def test_far_ahead_is_computed_not_walked() -> None:
    recurrence = parse_recurrence({"frequency": "Second", "interval": 1,
                                   "startTime": "2000-01-01T00:00:00Z"})
    assert next_occurrence(recurrence, utc(2099, 1, 1, 0, 0, 0)) == utc(2099, 1, 1, 0, 0, 1)


def test_sliding_window_backfills_every_missed_window_then_only_new_ones() -> None:
    recurrence = parse_recurrence({"frequency": "Hour", "interval": 1,
                                   "startTime": "2026-04-01T09:00:00Z"})
    windows = due_windows(recurrence, None, utc(2026, 4, 1, 12, 30))
    assert windows == [Window(utc(2026, 4, 1, 9), utc(2026, 4, 1, 10)),
                       Window(utc(2026, 4, 1, 10), utc(2026, 4, 1, 11)),
                       Window(utc(2026, 4, 1, 11), utc(2026, 4, 1, 12))]
    assert windows[0].outputs() == {"windowStartTime": "2026-04-01T09:00:00.0000000Z",
                                    "windowEndTime": "2026-04-01T10:00:00.0000000Z"}
    assert due_windows(recurrence, utc(2026, 4, 1, 12), utc(2026, 4, 1, 12, 59)) == []
    assert due_windows(recurrence, utc(2026, 4, 1, 12), utc(2026, 4, 1, 13)) == [
        Window(utc(2026, 4, 1, 12), utc(2026, 4, 1, 13))]
    assert len(due_windows(recurrence, None, utc(2026, 5, 1), limit=10)) == 10


def test_daily_sliding_windows_are_local_days_across_dst() -> None:
    recurrence = parse_recurrence({"frequency": "Day", "interval": 1,
                                   "timeZone": "W. Europe Standard Time",
                                   "startTime": "2026-03-28T00:00:00"})
    windows = due_windows(recurrence, None, utc(2026, 3, 30, 12))
    assert [(w.end - w.start) for w in windows] == [timedelta(hours=24), timedelta(hours=23)]


@pytest.mark.parametrize(("block", "pointer"), [
    ({"frequency": "Fortnight"}, "/recurrence/frequency"),
    ({"frequency": "Day", "interval": 0}, "/recurrence/interval"),
    ({"frequency": "Day", "interval": True}, "/recurrence/interval"),
    ({"frequency": "Day", "timeZone": "Atlantis Standard Time"}, "/recurrence/timeZone"),
    ({"frequency": "Day", "startTime": "yesterday"}, "/recurrence/startTime"),
    ({"frequency": "Hour", "schedule": {"minutes": [5]}}, "/recurrence/schedule"),
    ({"frequency": "Day", "schedule": {"weekDays": ["Monday"]}}, "/recurrence/schedule/weekDays"),
    ({"frequency": "Week", "schedule": {"weekDays": ["Someday"]}},
     "/recurrence/schedule/weekDays/0"),
    ({"frequency": "Day", "schedule": {"hours": [24]}}, "/recurrence/schedule/hours/0"),
    ({"frequency": "Month", "schedule": {"monthDays": [0]}}, "/recurrence/schedule/monthDays/0"),
    ({"frequency": "Month", "schedule": {"monthlyOccurrences": [{"day": "Monday"}]}},
     "/recurrence/schedule/monthlyOccurrences/0/occurrence"),
    ({"frequency": "Day", "schedule": {"seconds": [1]}}, "/recurrence/schedule/seconds"),
])
def test_bad_recurrences_are_400s_that_name_the_field(block: dict[str, Any],
                                                      pointer: str) -> None:
    with pytest.raises(RecurrenceInvalid) as caught:
        parse_recurrence(block)
    assert caught.value.status_code == 400
    assert str(caught.value).startswith(pointer + " ")
