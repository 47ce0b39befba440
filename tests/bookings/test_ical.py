"""The .ics output, read back by ``icalendar``'s parser and checked on its raw lines (RFC 5545)."""

from __future__ import annotations

from datetime import UTC, datetime
from itertools import takewhile

import icalendar

from cloud_incubator.bookings.ical import CalendarEvent, calendar


def _event(**fields: object) -> CalendarEvent:
    values: dict = {"uid": "booking-x@incubench", "sequence": 0, "status": "CONFIRMED",
                    "start": datetime(2026, 12, 1, 1, tzinfo=UTC), "end": datetime(2026, 12, 1, 2, tzinfo=UTC),
                    "stamp": datetime(2026, 11, 25, 8, 30, tzinfo=UTC), "summary": "s", **fields}
    return CalendarEvent(**values)


def test_long_lines_fold_within_75_octets_without_splitting_characters():
    description = "知识产权导航与布局，" * 20   # 600 octets of 3-octet characters
    body = calendar([_event(description=description)], "日程")
    lines = body.split(b"\r\n")
    assert all(len(line) <= 75 for line in lines)
    for line in lines:
        line.decode("utf-8")  # each physical line is whole characters (raises if a character was split)
    start = next(i for i, line in enumerate(lines) if line.startswith(b"DESCRIPTION:"))
    continued = takewhile(lambda line: line.startswith(b" "), lines[start + 1:])
    unfolded = lines[start] + b"".join(line[1:] for line in continued)
    assert unfolded.decode("utf-8") == "DESCRIPTION:" + description


def test_text_values_are_escaped():
    """RFC 5545 §3.3.11: backslash, semicolon, comma and newline are escaped in TEXT."""
    body = calendar([_event(summary="a,b;c\\d\ne")], "x")
    assert b"SUMMARY:a\\,b\\;c\\\\d\\ne\r\n" in body
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["SUMMARY"]) == "a,b;c\\d\ne"


def test_calendar_parses_back_field_by_field():
    event = CalendarEvent(uid="booking-abc@incubench", sequence=2, status="CANCELLED",
                          start=datetime(2026, 12, 1, 1, tzinfo=UTC), end=datetime(2026, 12, 1, 2, tzinfo=UTC),
                          stamp=datetime(2026, 11, 25, 8, 30, tzinfo=UTC), summary="知识产权咨询, patent; filing",
                          description="第一行\n" + "很长的问题描述 " * 30, location="德胜科技园 A 座",
                          categories=("patent_filing",))
    body = calendar([event], "日程 schedule")
    assert body.count(b"\r\n") == body.count(b"\n")   # CRLF only
    assert all(len(line) <= 75 for line in body.split(b"\r\n"))
    parsed = icalendar.Calendar.from_ical(body)
    assert str(parsed["VERSION"]) == "2.0" and "PRODID" in parsed
    (vevent,) = [c for c in parsed.walk("VEVENT")]
    assert str(vevent["UID"]) == "booking-abc@incubench"
    assert int(vevent["SEQUENCE"]) == 2
    assert str(vevent["STATUS"]) == "CANCELLED"
    # 09:00 Asia/Shanghai = 01:00 UTC
    assert vevent.decoded("DTSTART") == datetime(2026, 12, 1, 1, tzinfo=UTC)
    assert vevent.decoded("DTSTART").utcoffset().total_seconds() == 8 * 3600
    assert vevent["DTSTART"].params["TZID"] == "Asia/Shanghai"
    assert vevent.decoded("DTEND") == datetime(2026, 12, 1, 2, tzinfo=UTC)
    assert vevent.decoded("DTSTAMP") == datetime(2026, 11, 25, 8, 30, tzinfo=UTC)
    assert str(vevent["SUMMARY"]) == "知识产权咨询, patent; filing"
    assert str(vevent["DESCRIPTION"]) == event.description
    assert str(vevent["LOCATION"]) == "德胜科技园 A 座"
    (tz,) = [c for c in parsed.walk("VTIMEZONE")]
    assert str(tz["TZID"]) == "Asia/Shanghai"
