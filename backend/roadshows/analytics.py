"""Attendance figures from join/leave intervals (pure functions; times are aware datetimes)."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

Interval = tuple[datetime, datetime]


def _merged(intervals: list[Interval]) -> list[Interval]:
    out: list[Interval] = []
    for start, end in sorted(intervals):
        if out and start <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return out


def _clip(intervals: list[Interval], start: datetime, end: datetime) -> list[Interval]:
    return [(max(a, start), min(b, end)) for a, b in intervals if min(b, end) > max(a, start)]


def _peak_and_average(per_user: dict[str, list[Interval]], start: datetime, end: datetime) -> tuple[int, float]:
    """Peak concurrent distinct viewers and the time-weighted average over [start, end]."""
    changes: list[tuple[datetime, int]] = []
    for intervals in per_user.values():
        for a, b in _clip(intervals, start, end):
            changes.append((a, 1))
            changes.append((b, -1))
    changes.sort(key=lambda c: (c[0], c[1]))  # leaves before joins at the same instant
    peak = current = 0
    area = 0.0
    last = start
    for at, delta in changes:
        area += current * (at - last).total_seconds()
        current += delta
        peak = max(peak, current)
        last = at
    span = (end - start).total_seconds()
    return peak, (area / span if span > 0 else float(peak))


def close_time(row: dict[str, Any], presence: dict[tuple[str, str], datetime], now: datetime,
               stale_after: timedelta, ended: datetime | None, dead_origin: str | None = None) -> datetime | None:
    """When an open attendance row (no leave time) should close, or None to keep it open.

    Every app process rewrites its presence row for a room every few seconds while it holds someone there,
    so a row's last proof of presence is the join or its process's last presence write, whichever is later.
    A row without proof for ``stale_after`` belongs to a process that is gone (crashed, killed);
    ``dead_origin`` names a process known to hold no connection of the row's user (the rejoining one).
    Rows of an ended roadshow close at the end, or at the last proof of presence when their process is gone."""
    seen = presence.get((row["roadshow_id"], row["origin"]))
    last = max(row["joined_at"], seen) if seen is not None else row["joined_at"]
    alive = last >= now - stale_after and row["origin"] != dead_origin
    if ended is not None:
        return max(row["joined_at"], ended if alive else min(ended, last))
    return None if alive else last


def attendance_analytics(rows: list[tuple[str, datetime, datetime | None]], started: datetime, ended: datetime,
                         pitches: list[tuple[int, datetime, datetime]]) -> dict[str, Any]:
    """rows: (user, joined, left or None = until the end); pitches: (index, from, to)."""
    per_user: dict[str, list[Interval]] = defaultdict(list)
    for user, joined, left in rows:
        per_user[user].append((joined, left or ended))
    per_user = {u: _merged(_clip(v, started, ended)) for u, v in per_user.items()}
    per_user = {u: v for u, v in per_user.items() if v}
    peak, average = _peak_and_average(per_user, started, ended)
    result: dict[str, Any] = {"unique_viewers": len(per_user), "peak_viewers": peak,
                              "average_viewers": round(average, 2),
                              "duration_seconds": round((ended - started).total_seconds(), 1), "pitches": []}
    windows: dict[int, list[Interval]] = defaultdict(list)
    for index, start, end in pitches:
        windows[index].append((start, end))  # a pitch restarted by a moderator has several windows
    for index in sorted(windows):
        spans = _merged(windows[index])
        present: dict[str, list[Interval]] = {}
        for user, intervals in per_user.items():
            clipped = [piece for a, b in spans for piece in _clip(intervals, a, b)]
            if clipped:
                present[user] = clipped
        peak_here = 0
        area = 0.0
        for a, b in spans:
            span_peak, span_average = _peak_and_average(present, a, b)
            peak_here = max(peak_here, span_peak)
            area += span_average * (b - a).total_seconds()
        total = sum((b - a).total_seconds() for a, b in spans)
        result["pitches"].append({"index": index, "viewers": len(present), "peak_viewers": peak_here,
                                  "average_viewers": round(area / total, 2) if total > 0 else 0.0})
    return result
