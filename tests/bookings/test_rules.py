"""Pure rules: weekly windows → slots in Asia/Shanghai, exceptions, overlaps, cut-offs, quarters.
Expected instants are worked out by hand (Shanghai = UTC+8 today; UTC+9 in summer 1991, when China
still had daylight saving time)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time

from backend.core.clock import quarter_span
from cloud_incubator.bookings.rules import (
    Exception_,
    Rule,
    cutoff_passed,
    expand_slots,
    rule_problems,
    rules_overlap,
    slot_of,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


TUE_MORNING = Rule("r1", "adv", "ws", 1, time(9), time(11, 30), date(2026, 1, 1), None)


def test_weekly_rule_yields_whole_slots_converted_to_utc():
    # Tue 2026-12-01, 09:00–11:30 local with 60-min slots: 09:00 and 10:00 (11:00–12:00 would not fit).
    slots = list(expand_slots([TUE_MORNING], [], {"ws": 60}, date(2026, 11, 30), date(2026, 12, 6)))
    assert [(s.start, s.end) for s in slots] == [(utc(2026, 12, 1, 1), utc(2026, 12, 1, 2)),
                                                 (utc(2026, 12, 1, 2), utc(2026, 12, 1, 3))]


def test_range_across_weeks_and_the_year_end():
    # Tuesdays between Sun 2026-12-27 and Tue 2027-01-12: 12-29, 01-05, 01-12 → 3 days × 5 slots of 30 min.
    slots = list(expand_slots([TUE_MORNING], [], {"ws": 30}, date(2026, 12, 27), date(2027, 1, 12)))
    days = sorted({s.local_start.date() for s in slots})
    assert days == [date(2026, 12, 29), date(2027, 1, 5), date(2027, 1, 12)]
    assert len(slots) == 15
    assert slots[-1].start == utc(2027, 1, 12, 3)   # 11:00 local, last 30-min slot


def test_early_morning_local_slot_falls_on_the_previous_utc_day():
    rule = Rule("r", "adv", "ws", 2, time(7), time(8), date(2026, 1, 1))
    (slot,) = expand_slots([rule], [], {"ws": 60}, date(2026, 12, 2), date(2026, 12, 2))
    assert slot.start == utc(2026, 12, 1, 23)


def test_zone_rules_come_from_zoneinfo_not_a_fixed_offset():
    # Summer 1991 Shanghai observed DST (UTC+9): 09:00 local was 00:00 UTC; in December it was 01:00 UTC.
    rule = Rule("r", "adv", "ws", 0, time(9), time(10), date(1991, 1, 1))
    summer = list(expand_slots([rule], [], {"ws": 60}, date(1991, 7, 1), date(1991, 7, 1)))
    winter = list(expand_slots([rule], [], {"ws": 60}, date(1991, 12, 2), date(1991, 12, 2)))
    assert summer[0].start == utc(1991, 7, 1, 0) and winter[0].start == utc(1991, 12, 2, 1)


def test_validity_period_and_exceptions():
    rule = Rule("r", "adv", "ws", 1, time(9), time(12), date(2026, 12, 8), date(2026, 12, 22))
    away = [Exception_("adv", date(2026, 12, 15)),                      # whole day
            Exception_("adv", date(2026, 12, 22), time(10), time(11))]  # one hour
    slots = list(expand_slots([rule], away, {"ws": 60}, date(2026, 12, 1), date(2026, 12, 31)))
    by_day: dict[date, list[int]] = {}
    for s in slots:
        by_day.setdefault(s.local_start.date(), []).append(s.local_start.hour)
    assert by_day == {date(2026, 12, 8): [9, 10, 11], date(2026, 12, 22): [9, 11]}


def test_exception_of_another_advisor_does_not_apply():
    slots = list(expand_slots([TUE_MORNING], [Exception_("other", date(2026, 12, 1))], {"ws": 60},
                              date(2026, 12, 1), date(2026, 12, 1)))
    assert len(slots) == 2


def test_slot_of_finds_only_aligned_starts():
    assert slot_of([TUE_MORNING], [], {"ws": 60}, "ws", "adv", utc(2026, 12, 1, 2)) is not None
    assert slot_of([TUE_MORNING], [], {"ws": 60}, "ws", "adv", utc(2026, 12, 1, 1, 30)) is None
    assert slot_of([TUE_MORNING], [], {"ws": 60}, "ws", "other", utc(2026, 12, 1, 2)) is None
    assert slot_of([TUE_MORNING], [], {"ws": 60}, "ws", "adv", utc(2026, 12, 2, 2)) is None   # a Wednesday


def test_rule_overlap_needs_same_advisor_weekday_time_and_period():
    base = Rule("a", "adv", "ws", 1, time(9), time(12), date(2026, 1, 1), date(2026, 6, 30))
    assert rules_overlap(base, Rule("b", "adv", "ws2", 1, time(11), time(13), date(2026, 3, 1)))
    assert not rules_overlap(base, Rule("b", "adv", "ws", 1, time(12), time(13), date(2026, 1, 1)))  # touching
    assert not rules_overlap(base, Rule("b", "adv", "ws", 2, time(9), time(12), date(2026, 1, 1)))
    assert not rules_overlap(base, Rule("b", "other", "ws", 1, time(9), time(12), date(2026, 1, 1)))
    assert not rules_overlap(base, Rule("b", "adv", "ws", 1, time(9), time(12), date(2026, 7, 1)))


def test_rule_problems():
    assert rule_problems(TUE_MORNING, 60) == []
    fields = {p[0] for p in rule_problems(Rule("r", "a", "w", 7, time(9, 10), time(9, 30), date(2026, 2, 1),
                                               date(2026, 1, 1)), 60)}
    assert fields == {"weekday", "startTime", "endTime", "validUntil"}


def test_cutoff():
    start = utc(2026, 12, 2, 2)
    assert not cutoff_passed(start, 24, utc(2026, 12, 1, 2))
    assert cutoff_passed(start, 24, utc(2026, 12, 1, 2, 0, 1))


def test_quarter_bounds_are_park_local():
    assert quarter_span("2026Q4") == (utc(2026, 9, 30, 16), utc(2026, 12, 31, 16))
    assert quarter_span("2027Q1") == (utc(2026, 12, 31, 16), utc(2027, 3, 31, 16))
