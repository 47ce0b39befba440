"""Quarterly workstation statistics (Python function and GraphQL), against counts worked out by hand."""

from __future__ import annotations

from datetime import timedelta

from backend.users.models import Role
from cloud_incubator.bookings.service import workstation_stats
from tests.bookings.conftest import local, next_weekday
from tests.conftest import error_codes


async def test_quarter_stats_count_held_topics_and_no_show_rate(gql, park, people, state):
    """Tuesday: s1 adv 09 held (patent_filing), s2 adv 10 held (trademarks), s3 adv 11 no-show,
    s4 adv2 09 held (patent_filing), s5 adv2 10 cancelled then s6 adv2 10 still booked.
    → booked (not cancelled) 5, held 3, no-shows 1, cancelled 1, no-show rate 1/(3+1) = 0.25,
    startups served 3, topics {patent_filing: 2, trademarks: 1}."""
    tuesday = next_weekday(1)
    s = [await park.startup() for _ in range(6)]
    svc = park.service
    b1 = await park.book(s[0], tuesday, "09:00")
    b2 = await svc.book(s[1], park.workstation_id, park.advisor.id, local(tuesday, "10:00"), "trademarks", "online", "Q")
    b3 = await park.book(s[2], tuesday, "11:00")
    b4 = await park.book(s[3], tuesday, "09:00", advisor=park.advisor2)
    b5 = await park.book(s[4], tuesday, "10:00", advisor=park.advisor2)
    await svc.cancel(s[4], b5.id)
    await park.book(s[5], tuesday, "10:00", advisor=park.advisor2)
    svc.clock = lambda: local(tuesday, "13:00")
    for booking, held in ((b1, True), (b2, True), (b3, False)):
        await svc.mark_attendance(park.advisor, booking.id, held)
    await svc.mark_attendance(park.advisor2, b4.id, True)
    month = tuesday.month
    quarter = f"{tuesday.year}Q{(month - 1) // 3 + 1}"
    stats = await workstation_stats(state, park.incubator_id, quarter)
    assert {k: stats[k] for k in ("workstations", "consultationsBooked", "consultationsHeld", "noShows", "cancelled",
                                  "noShowRate", "startupsServed", "topics")} == {
        "workstations": 1, "consultationsBooked": 5, "consultationsHeld": 3, "noShows": 1, "cancelled": 1,
        "noShowRate": 0.25, "startupsServed": 3, "topics": {"patent_filing": 2, "trademarks": 1}}
    next_quarter = tuesday + timedelta(days=100)
    empty = await workstation_stats(state, park.incubator_id, f"{next_quarter.year}Q{(next_quarter.month - 1) // 3 + 1}")
    assert empty["consultationsHeld"] == 0 and empty["noShowRate"] is None

    result = await gql.op("IpWorkstationStats", {"incubatorId": park.incubator_id, "quarter": quarter},
                          token=park.token(park.manager))
    data = result["data"]["ipWorkstationStats"]
    assert (data["consultationsHeld"], data["noShowRate"], data["topics"]) == (
        3, 0.25, [{"topic": "patent_filing", "count": 2}, {"topic": "trademarks", "count": 1}])
    other_incubator = await people.incubator("Other")
    other_manager = await people.make("mgr2", Role.manager, incubator_id=other_incubator)
    denied = await gql.op("IpWorkstationStats", {"incubatorId": park.incubator_id, "quarter": quarter},
                          token=park.token(other_manager))
    assert error_codes(denied) == ["FORBIDDEN"]
    bad = await gql.op("IpWorkstationStats", {"incubatorId": park.incubator_id, "quarter": "2026-Q4"},
                       token=park.token(park.manager))
    assert error_codes(bad) == ["BAD_USER_INPUT"] and bad["errors"][0]["extensions"]["field"] == "quarter"
