"""The hand-written iCalendar output, parsed back by the independent ``icalendar`` package."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar

from cloud_incubator.bookings.ical import CalendarEvent, calendar, escape_text, fold


def test_fold_keeps_lines_within_75_octets_without_splitting_characters():
    line = "DESCRIPTION:" + "知识产权导航与布局，" * 20
    folded = fold(line)
    parts = folded.split("\r\n")
    assert all(len(p.encode("utf-8")) <= 75 for p in parts)
    assert all(p.startswith(" ") for p in parts[1:])
    assert "".join(p[1:] if i else p for i, p in enumerate(parts)) == line


def test_escape_text():
    assert escape_text("a,b;c\\d\ne") == "a\\,b\\;c\\\\d\\ne"


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
