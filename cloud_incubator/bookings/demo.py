"""Demo data: IP workstations in three demo incubators, their advisors, weekly availability, a year of
past consultations (held / no-show, with notes; they feed the demo rankings) and upcoming bookings."""

from __future__ import annotations

from datetime import date, time, timedelta

from backend.core.clock import PARK_TZ, park_instant, quarter_span
from backend.core.errors import AppError
from backend.demo.seed import DEMO_PASSWORD, DemoContext
from backend.submissions.demo import DEMO_QUARTERS
from backend.users.models import NewUser, Role
from cloud_incubator.bookings.service import BookingService, bookings

# Quarters with past consultations, so the demo rankings' trailing-four-quarter IP indicators have data.
HISTORY_QUARTERS = DEMO_QUARTERS[-4:]

EXTRA_ADVISORS = [
    ("ipadvisor2", "专利代理师 陈晨 Chen Chen", "北京德胜知识产权代理事务所"),
    ("ipadvisor3", "商标顾问 刘洋 Liu Yang", "广安知识产权运营中心"),
]

# (incubator name_en, zh, en, location, languages, topics, modes, slot minutes, cut-off h, limit, advisor usernames)
WORKSTATIONS = [
    ("Financial Street Tech Incubator", "金融街知识产权工作站", "Financial Street IP Workstation",
     "金融街科创孵化器 B 座 2 层 知识产权服务台", ["zh", "en"],
     ["patent_filing", "ip_navigation", "ip_financing", "licensing_transfer"], ["online", "on_site"], 60, 24, 2,
     ["ipadvisor1", "ipadvisor2"]),
    ("Desheng Digital Accelerator", "德胜知识产权公共服务工作站", "Desheng IP Public Service Workstation",
     "德胜科技园 A 座 3 层", ["zh"], ["patent_filing", "trademarks", "infringement"], ["online", "on_site"], 45, 12, 2,
     ["ipadvisor2"]),
    ("Guang'anmen Digital Economy Incubator", "广安门知识产权工作站", "Guang'anmen IP Workstation",
     "广安产业园 1 号楼 1 层", ["zh", "en"], ["trademarks", "ip_navigation", "licensing_transfer"], ["online"], 30, 6, 3,
     ["ipadvisor3"]),
]

# advisor username → weekly windows (weekday, start, end) per workstation index
RULES = {
    (0, "ipadvisor1"): [(1, time(9), time(12)), (3, time(14), time(17))],
    (0, "ipadvisor2"): [(0, time(9), time(11))],
    (1, "ipadvisor2"): [(2, time(9, 30), time(12)), (4, time(14), time(16, 15))],
    (2, "ipadvisor3"): [(1, time(14), time(16)), (3, time(9), time(11)), (4, time(9), time(10))],
}

QUESTIONS = [
    ("patent_filing", "我们的区块链存证方案能否申请发明专利？需要准备哪些材料？"),
    ("ip_navigation", "Planning a patent portfolio before our Series A: where do we start?"),
    ("trademarks", "商标注册应选择哪些类别？英文名称是否需要单独注册？"),
    ("ip_financing", "知识产权质押融资的评估流程和周期是怎样的？"),
    ("licensing_transfer", "高校专利许可的费用结构一般怎么谈？"),
    ("infringement", "发现竞品可能侵犯我们的软件著作权，应该如何取证？"),
]


async def seed_ip_workstations(ctx: DemoContext) -> None:
    state = ctx.state
    service = bookings(state)
    advisors = {}
    for username, display, organisation in EXTRA_ADVISORS:
        advisors[username] = await state.user_service.create_user(
            NewUser(username=username, display_name=display, role=Role.ip_advisor, password=DEMO_PASSWORD,
                    organisation=organisation), password_hash=ctx.password_hash)
    advisors["ipadvisor1"] = await state.users.by_username("ipadvisor1")
    admin = await state.users.by_username("admin")
    incubators = {i.name_en: i.id for i in await state.incubators.all()}
    today = state.calendar.today()
    workstations = []
    for (incubator, zh, en, location, languages, topics, modes, minutes, cutoff, limit, staff) in WORKSTATIONS:
        workstations.append(await service.create_workstation(admin, {
            "incubator_id": incubators[incubator], "name_zh": zh, "name_en": en, "location": location,
            "languages": languages, "topics": topics, "modes": modes, "slot_minutes": minutes, "cutoff_hours": cutoff,
            "booking_limit": limit, "advisor_ids": [advisors[u].id for u in staff]}))
    rules_from = quarter_span(HISTORY_QUARTERS[0])[0].astimezone(PARK_TZ).date()
    for (index, username), windows in RULES.items():
        for weekday, start, end in windows:
            await service.add_rule(admin, workstations[index].id, advisors[username].id, weekday, start, end,
                                   rules_from, today + timedelta(weeks=6))
    # a holiday: ipadvisor1 away on the first Tuesday after next week
    holiday = today + timedelta(days=(1 - today.weekday()) % 7 + 7)
    await service.add_exception(admin, workstations[0].id, advisors["ipadvisor1"].id, holiday, None, None,
                                "外出培训 Training")

    startups = [await state.users.by_username(f"startup{n:02d}") for n in range(1, 7)]
    startups = [s for s in startups if s is not None]
    advisor_by_id = {a.id: a for a in advisors.values() if a is not None}
    await _past_quarters(service, workstations, startups, advisor_by_id, today)
    real_clock = service.clock
    try:
        # Past consultations (booked as if three weeks ago), then marked held / no-show.
        service.clock = lambda: park_instant(today - timedelta(days=21), time(8))
        past = []
        for w_index, ws in enumerate(workstations):
            views = await service.search_slots(today - timedelta(days=20), today - timedelta(days=1), workstation_id=ws.id)
            for n, view in enumerate(views[: 4]):
                startup = startups[(w_index * 2 + n) % len(startups)]
                topic, question = next((t, q) for t, q in QUESTIONS[n:] + QUESTIONS[:n] if t in ws.topics)
                try:
                    past.append(await service.book(startup, ws.id, view.slot.advisor_id, view.slot.start, topic,
                                                   ws.modes[n % len(ws.modes)], question))
                except AppError:   # the demo startup's limit or an overlap: skip that slot
                    continue
        service.clock = real_clock
        for n, booking in enumerate(past):
            advisor = advisor_by_id[booking.advisor_id]
            await service.mark_attendance(advisor, booking.id, held=n % 4 != 3)
            if n % 4 != 3:
                await service.write_note(advisor, booking.id, "已讲解申请流程与检索要点，建议两周内提交技术交底书。"
                                         " Walked through the filing steps; send the invention disclosure within two weeks.")
        # Upcoming bookings, some slots left free, one with a waitlist.
        for w_index, ws in enumerate(workstations):
            views = await service.search_slots(today + timedelta(days=1), today + timedelta(days=14), workstation_id=ws.id)
            for n, view in enumerate(views[1:6:2]):
                startup = startups[(w_index + n) % len(startups)]
                topic, question = next((t, q) for t, q in QUESTIONS[n + 1:] + QUESTIONS[:n + 1] if t in ws.topics)
                try:
                    booked = await service.book(startup, ws.id, view.slot.advisor_id, view.slot.start, topic,
                                                ws.modes[0], question)
                except AppError:
                    continue
                if w_index == 0 and n == 0:
                    waiting = startups[(w_index + n + 3) % len(startups)]
                    await service.join_waitlist(waiting, ws.id, booked.advisor_id, booked.start, topic, ws.modes[0],
                                                "如有取消，希望递补。 Hoping for a cancellation.")
    finally:
        service.clock = real_clock


async def _past_quarters(service: BookingService, workstations: list, startups: list, advisors: dict,
                         today: date) -> None:
    """Consultations in the weeks 3–6 of each history quarter that has ended: booked as if beforehand,
    then marked held (one in five missed). Busier workstations hold more."""
    real_clock = service.clock
    try:
        for q_index, quarter in enumerate(HISTORY_QUARTERS):
            start, end = (instant.astimezone(PARK_TZ).date() for instant in quarter_span(quarter))
            if end > today:
                continue
            first, last = start + timedelta(days=14), start + timedelta(days=41)
            service.clock = lambda first=first: park_instant(first - timedelta(days=1), time(8))
            for w_index, ws in enumerate(workstations):
                views = await service.search_slots(first, last, workstation_id=ws.id)
                wanted = (6, 3, 4)[w_index] + q_index
                held: list = []
                for n, view in enumerate(views[::2][:wanted]):
                    startup = startups[(w_index + q_index + n) % len(startups)]
                    topic = ws.topics[(n + q_index) % len(ws.topics)]
                    question = next((q for t, q in QUESTIONS if t == topic), QUESTIONS[0][1])
                    try:
                        held.append(await service.book(startup, ws.id, view.slot.advisor_id, view.slot.start, topic,
                                                       ws.modes[n % len(ws.modes)], question))
                    except AppError:  # the startup's limit or an overlap: skip that slot
                        continue
                    service.clock = lambda: real_clock()
                    await service.mark_attendance(advisors[held[-1].advisor_id], held[-1].id,
                                                  held=(n + q_index) % 5 != 4)
                    service.clock = lambda first=first: park_instant(first - timedelta(days=1), time(8))
    finally:
        service.clock = real_clock
