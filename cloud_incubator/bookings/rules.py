"""Pure booking rules: weekly availability → slots in the park's zone, overlap checks, cut-offs, quarters.

Availability is written in Asia/Shanghai wall time (the park's zone); slots are computed per local date
with ``zoneinfo`` and stored as UTC instants. Shanghai has no DST today, but nothing here assumes a fixed
offset: every local time goes through the zone.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

PARK_TZ = ZoneInfo("Asia/Shanghai")
SLOT_GRID_MINUTES = 15          # rule times and slot lengths are multiples of this
ALLOWED_SLOT_MINUTES = (30, 45, 60, 90, 120)
MAX_SEARCH_DAYS = 62
NO_SHOW_PENALTY_DAYS = 90       # a no-show lowers the startup's limit at that workstation for 90 days

# Topic catalogue: code → (zh, en).
TOPICS: dict[str, tuple[str, str]] = {
    "patent_filing": ("专利申请", "Patent filing"),
    "trademarks": ("商标", "Trademarks"),
    "ip_navigation": ("知识产权导航与布局", "IP navigation and portfolio planning"),
    "licensing_transfer": ("许可与转让", "Licensing and transfer"),
    "infringement": ("侵权应对", "Infringement"),
    "ip_financing": ("知识产权融资", "IP financing"),
}
LANGUAGES: dict[str, tuple[str, str]] = {"zh": ("中文", "Chinese"), "en": ("英文", "English")}
MODES: dict[str, tuple[str, str]] = {"online": ("线上", "Online"), "on_site": ("现场", "On site")}

QUARTER_RE = re.compile(r"^(19[89][0-9]|20[0-9]{2})Q([1-4])\Z")


@dataclass(frozen=True)
class Rule:
    """A weekly window: ``weekday`` 0 = Monday, local times, valid on [valid_from, valid_until]."""

    id: str
    advisor_id: str
    workstation_id: str
    weekday: int
    start: time
    end: time
    valid_from: date
    valid_until: date | None = None


@dataclass(frozen=True)
class Exception_:
    """The advisor is away on ``on`` (whole day when start/end are None, else only that window)."""

    advisor_id: str
    on: date
    start: time | None = None
    end: time | None = None


@dataclass(frozen=True)
class Slot:
    workstation_id: str
    advisor_id: str
    start: datetime     # UTC
    end: datetime       # UTC

    @property
    def local_start(self) -> datetime:
        return self.start.astimezone(PARK_TZ)


def local_instant(day: date, at: time) -> datetime:
    """The UTC instant of a park-local wall time on ``day``."""
    return datetime.combine(day, at, tzinfo=PARK_TZ).astimezone(UTC)


def local_day_bounds(day: date) -> tuple[datetime, datetime]:
    """[start, end) of a park-local calendar day, in UTC."""
    return local_instant(day, time(0)), local_instant(day + timedelta(days=1), time(0))


def _minutes(t: time) -> int:
    return t.hour * 60 + t.minute


def _periods_overlap(a_from: date, a_until: date | None, b_from: date, b_until: date | None) -> bool:
    a_end = a_until or date.max
    b_end = b_until or date.max
    return a_from <= b_end and b_from <= a_end


def rules_overlap(a: Rule, b: Rule) -> bool:
    """Same advisor, same weekday, overlapping time windows and overlapping validity periods."""
    return (a.advisor_id == b.advisor_id and a.weekday == b.weekday
            and _minutes(a.start) < _minutes(b.end) and _minutes(b.start) < _minutes(a.end)
            and _periods_overlap(a.valid_from, a.valid_until, b.valid_from, b.valid_until))


def rule_problems(rule: Rule, slot_minutes: int) -> list[tuple[str, str, str]]:
    """(field, en, zh) problems of one rule on its own."""
    problems: list[tuple[str, str, str]] = []
    if not 0 <= rule.weekday <= 6:
        problems.append(("weekday", "Weekday must be 0 (Monday) to 6 (Sunday).", "星期须为 0（周一）至 6（周日）。"))
    for name, value in (("startTime", rule.start), ("endTime", rule.end)):
        if value.tzinfo is not None:
            problems.append((name, "Give a park-local wall time (Asia/Shanghai) without an offset.",
                             "请填写园区本地时间（北京时间），不带时区偏移。"))
        elif value.second or value.microsecond or value.minute % SLOT_GRID_MINUTES:
            problems.append((name, f"Times must be on a {SLOT_GRID_MINUTES}-minute grid.",
                             f"时间须为 {SLOT_GRID_MINUTES} 分钟的整数倍。"))
    if _minutes(rule.end) - _minutes(rule.start) < slot_minutes:
        problems.append(("endTime", f"The window must end after the start and hold at least one {slot_minutes}-minute slot.",
                         f"结束时间须晚于开始时间，且至少容纳一个 {slot_minutes} 分钟的时段。"))
    if rule.valid_until is not None and rule.valid_until < rule.valid_from:
        problems.append(("validUntil", "The end date is before the start date.", "结束日期早于开始日期。"))
    return problems


def _excluded(exceptions: Iterable[Exception_], day: date, start: time, end: time) -> bool:
    for ex in exceptions:
        if ex.on != day:
            continue
        if ex.start is None or ex.end is None:
            return True
        if _minutes(ex.start) < _minutes(end) and _minutes(start) < _minutes(ex.end):
            return True
    return False


def expand_slots(rules: Iterable[Rule], exceptions: Iterable[Exception_], slot_minutes: dict[str, int],
                 first_day: date, last_day: date) -> Iterator[Slot]:
    """Every slot of the rules on local dates [first_day, last_day], ordered by (start, advisor).

    ``slot_minutes`` maps a workstation id to its slot length; a window yields as many whole slots as fit.
    """
    rules = list(rules)
    by_advisor: dict[str, list[Exception_]] = {}
    for ex in exceptions:
        by_advisor.setdefault(ex.advisor_id, []).append(ex)
    found: list[Slot] = []
    day = first_day
    while day <= last_day:
        weekday = day.weekday()
        for rule in rules:
            if rule.weekday != weekday or day < rule.valid_from or (rule.valid_until and day > rule.valid_until):
                continue
            length = slot_minutes[rule.workstation_id]
            cursor = _minutes(rule.start)
            while cursor + length <= _minutes(rule.end):
                start_t = time(cursor // 60, cursor % 60)
                end_m = cursor + length
                end_t = time(end_m // 60, end_m % 60) if end_m < 24 * 60 else time(23, 59, 59)
                if not _excluded(by_advisor.get(rule.advisor_id, ()), day, start_t, end_t):
                    start = local_instant(day, start_t)
                    found.append(Slot(rule.workstation_id, rule.advisor_id, start, start + timedelta(minutes=length)))
                cursor = end_m
        day += timedelta(days=1)
    found.sort(key=lambda s: (s.start, s.advisor_id))
    return iter(found)


def slot_of(rules: Iterable[Rule], exceptions: Iterable[Exception_], slot_minutes: dict[str, int],
            workstation_id: str, advisor_id: str, start: datetime) -> Slot | None:
    """The availability slot starting at ``start`` for this advisor and workstation, or None."""
    day = start.astimezone(PARK_TZ).date()
    for slot in expand_slots([r for r in rules if r.advisor_id == advisor_id and r.workstation_id == workstation_id],
                             exceptions, slot_minutes, day, day):
        if slot.start == start.astimezone(UTC):
            return slot
    return None


def cutoff_passed(start: datetime, cutoff_hours: int, now: datetime) -> bool:
    """Cancelling or rescheduling is allowed until ``cutoff_hours`` before the start."""
    return now > start - timedelta(hours=cutoff_hours)


def quarter_of(instant: datetime) -> str:
    """The park-local quarter (``2026Q4``) an instant falls in."""
    local = instant.astimezone(PARK_TZ)
    return f"{local.year}Q{(local.month - 1) // 3 + 1}"


def quarter_bounds(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of a quarter such as ``2026Q4`` in park-local time, as UTC instants."""
    match = QUARTER_RE.match(quarter)
    if not match:
        raise ValueError(quarter)
    year, q = int(match.group(1)), int(match.group(2))
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return local_instant(first, time(0)), local_instant(after, time(0))
