"""Park time: an injectable ``Clock`` and the ``ParkCalendar`` (Asia/Shanghai days and quarters).

Every "today", every quarter string and every quarter boundary of the app comes from here. A quarter is
written ``2026Q4``; its days run from the park's midnight on the first day to the park's midnight after
the last one.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from evaluation import EvaluationError
from evaluation import parse_quarter as _parse_quarter
from evaluation import shift_quarter as _shift_quarter

PARK_TZ = ZoneInfo("Asia/Shanghai")


class Clock(Protocol):
    """Where the app reads the current instant (timezone-aware, UTC)."""

    def now(self) -> datetime: ...


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that stays where it is set (tests, demo seeding)."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs a timezone-aware instant")
        self.at = at.astimezone(UTC)

    def now(self) -> datetime:
        return self.at

    def set(self, at: datetime) -> None:
        self.at = at.astimezone(UTC)


# -- quarters (pure: no clock) ---------------------------------------------------------------------

def parse_quarter(quarter: object) -> tuple[int, int]:
    """``"2025Q3"`` → ``(2025, 3)``; ``ValueError`` for anything else."""
    try:
        return _parse_quarter(quarter)  # type: ignore[arg-type]  # it checks the type itself
    except EvaluationError as error:
        raise ValueError(f"not a quarter: {quarter!r}") from error


def is_quarter(quarter: object) -> bool:
    try:
        parse_quarter(quarter)
    except ValueError:
        return False
    return True


def shift_quarter(quarter: str, offset: int) -> str:
    """The quarter ``offset`` quarters after (negative: before) ``quarter``."""
    parse_quarter(quarter)
    return _shift_quarter(quarter, offset)


def quarter_of_date(day: date) -> str:
    """The quarter a (park) calendar day belongs to."""
    return f"{day.year}Q{(day.month - 1) // 3 + 1}"


def quarter_days(quarter: str) -> tuple[date, date]:
    """First and last (inclusive) park calendar day of ``quarter``."""
    year, q = parse_quarter(quarter)
    first = date(year, 3 * q - 2, 1)
    after = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first, after - timedelta(days=1)


def park_instant(day: date, at: time) -> datetime:
    """The UTC instant of a park wall time on ``day``."""
    return datetime.combine(day, at, tzinfo=PARK_TZ).astimezone(UTC)


def park_date(instant: datetime) -> date:
    """The park calendar day an instant falls on."""
    return instant.astimezone(PARK_TZ).date()


def quarter_of(instant: datetime) -> str:
    """The park quarter an instant falls in."""
    return quarter_of_date(park_date(instant))


def quarter_span(quarter: str) -> tuple[datetime, datetime]:
    """[start, end) of ``quarter`` as UTC instants: the park's midnights that open and close it."""
    first, last = quarter_days(quarter)
    return park_instant(first, time(0)), park_instant(last + timedelta(days=1), time(0))


@dataclass
class ParkCalendar:
    """The park's "now" and "today" read from one injectable clock."""

    clock: Clock

    def now(self) -> datetime:
        return self.clock.now()

    def today(self) -> date:
        return park_date(self.clock.now())

    def current_quarter(self) -> str:
        return quarter_of_date(self.today())


SYSTEM_CALENDAR = ParkCalendar(SystemClock())
