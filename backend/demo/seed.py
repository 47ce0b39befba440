"""The demo park: incubators across the three sub-areas and the "1+3" industries, and their people.

Each domain keeps its seeder in its ``demo.py``; the composition root lists them (``backend/app.py``,
``DEMO_SEEDERS``) and ``seed_demo`` runs those not yet recorded in the ``meta`` collection, so a second run
adds nothing and a later feature's demo data still arrives on an existing database.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime

from pymongo.errors import DuplicateKeyError

from backend.core.db import durable
from backend.security import hash_password_sync
from backend.state import AppState
from backend.users.models import NewUser, Role

log = logging.getLogger(__name__)

DEMO_PASSWORD = "incubench-demo"
META = "meta"


@dataclass
class DemoContext:
    state: AppState
    # One argon2 hash shared by the demo accounts (they share one published password): hashing
    # each separately would cost ~150 ms apiece for no protection.
    password_hash: str = field(default_factory=lambda: hash_password_sync(DEMO_PASSWORD))


Seeder = Callable[[DemoContext], Awaitable[None]]
Seeders = Sequence[tuple[str, Seeder]]  # (name recorded in ``meta``, seeder), in the order they run


# (zh, en, kind, accreditation, sub-area, industries, founded, floor area m², operator)
DEMO_INCUBATORS: list[tuple[str, str, str, str, str, list[str], date, float, str]] = [
    ("金融街科创孵化器", "Financial Street Tech Incubator", "incubator", "national", "desheng", ["fintech"], date(2012, 5, 18), 18500, "北京金科创新服务有限公司"),
    ("德胜数字产业加速器", "Desheng Digital Accelerator", "accelerator", "municipal", "desheng", ["digital", "fintech"], date(2016, 3, 1), 12600, "德胜科技园运营中心"),
    ("新街口设计众创空间", "Xinjiekou Design Maker Space", "maker_space", "district", "desheng", ["rd_design"], date(2018, 9, 10), 4200, "新街口创意设计有限公司"),
    ("德胜科技园孵化中心", "Desheng Science Park Incubation Center", "incubator", "national", "desheng", ["digital", "rd_design"], date(2009, 11, 6), 22000, "德胜科技园发展有限公司"),
    ("北展文化科技孵化器", "Beizhan Culture-Tech Incubator", "incubator", "municipal", "beizhan", ["culture_tech"], date(2014, 6, 20), 9800, "北展文创投资有限公司"),
    ("动物园数字创意空间", "Zoo Digital Creative Space", "maker_space", "district", "beizhan", ["culture_tech", "digital"], date(2019, 4, 15), 3600, "北展数字文化有限公司"),
    ("展览路研发设计孵化器", "Zhanlanlu R&D Design Incubator", "incubator", "municipal", "beizhan", ["rd_design"], date(2013, 8, 8), 11200, "展览路科技服务有限公司"),
    ("北展金融科技加速营", "Beizhan Fintech Accelerator Camp", "accelerator", "none", "beizhan", ["fintech"], date(2021, 1, 12), 5400, "北展创投管理有限公司"),
    ("广安门数字经济孵化器", "Guang'anmen Digital Economy Incubator", "incubator", "national", "guangan", ["digital"], date(2011, 10, 28), 20500, "广安产业园运营有限公司"),
    ("广安设计之都孵化基地", "Guang'an Design Capital Incubation Base", "incubator", "municipal", "guangan", ["rd_design", "culture_tech"], date(2015, 12, 3), 14300, "广安设计产业有限公司"),
    ("白纸坊金融科技众创空间", "Baizhifang Fintech Maker Space", "maker_space", "district", "guangan", ["fintech", "digital"], date(2020, 7, 7), 2800, "白纸坊创新服务中心"),
    ("牛街文化科技加速器", "Niujie Culture-Tech Accelerator", "accelerator", "municipal", "guangan", ["culture_tech"], date(2017, 5, 22), 7600, "牛街文化发展有限公司"),
    ("西城硬科技孵化器", "Xicheng Hard-Tech Incubator", "incubator", "national", "desheng", ["digital", "other"], date(2010, 2, 26), 25000, "西城科技创新集团"),
    ("什刹海文旅科技空间", "Shichahai Culture-Tourism Tech Space", "maker_space", "none", "desheng", ["culture_tech", "other"], date(2022, 3, 18), 2200, "什刹海文旅科技有限公司"),
]

DEMO_STARTUPS: list[tuple[str, str, int, str]] = [
    ("链信科技", "ChainTrust Technology", 0, "fintech"),
    ("智算云图", "SmartCompute Atlas", 1, "digital"),
    ("匠心工业设计", "Craft Industrial Design", 2, "rd_design"),
    ("光影文创", "LightShadow Creative", 4, "culture_tech"),
    ("数安卫士", "DataGuard", 8, "digital"),
    ("普惠金服", "Inclusive FinServ", 7, "fintech"),
]

DEMO_INVESTORS: list[tuple[str, str]] = [
    ("investor01", "西城科创基金 Xicheng Innovation Fund"),
    ("investor02", "金融街资本 Financial Street Capital"),
    ("investor03", "北展天使 Beizhan Angels"),
    ("investor04", "中关村协同创投 ZGC Synergy Ventures"),
]


async def seed_registry(ctx: DemoContext) -> None:
    state = ctx.state
    incubator_ids: list[str] = []
    for zh, en, kind, accreditation, area, industries, founded, floor, operator in DEMO_INCUBATORS:
        incubator = await state.incubator_service.create({
            "name_zh": zh, "name_en": en, "kind": kind, "accreditation": accreditation, "sub_area": area,
            "industries": industries, "founded_on": founded, "floor_area": floor, "operator": operator})
        incubator_ids.append(incubator.id)
    accounts: list[NewUser] = [
        NewUser(username="admin", display_name="园区管理员 Park Admin", role=Role.admin, password=DEMO_PASSWORD,
                organisation="中关村西城园管委会"),
        NewUser(username="evaluator1", display_name="评估专家 王敏 Wang Min", role=Role.evaluator,
                password=DEMO_PASSWORD, organisation="西城区科信局"),
        NewUser(username="evaluator2", display_name="评估专家 李强 Li Qiang", role=Role.evaluator,
                password=DEMO_PASSWORD, organisation="中关村创新评估中心"),
        NewUser(username="ipadvisor1", display_name="知识产权顾问 赵琳 Zhao Lin", role=Role.ip_advisor,
                password=DEMO_PASSWORD, organisation="西城知识产权服务中心"),
    ]
    for number, incubator_id in enumerate(incubator_ids, start=1):
        accounts.append(NewUser(username=f"manager{number:02d}", display_name=f"{DEMO_INCUBATORS[number - 1][0]} 管理员",
                                role=Role.manager, password=DEMO_PASSWORD, incubator_id=incubator_id,
                                organisation=DEMO_INCUBATORS[number - 1][1]))
    for number, (zh, en, incubator_index, industry) in enumerate(DEMO_STARTUPS, start=1):
        startup = await state.startups.insert({"_id": f"demo-startup-{number:02d}", "name_zh": zh, "name_en": en,
                                               "incubator_id": incubator_ids[incubator_index],
                                               "industry": industry})
        accounts.append(NewUser(username=f"startup{number:02d}", display_name=f"{zh} {en}", role=Role.startup,
                                password=DEMO_PASSWORD, startup_id=startup.id,
                                incubator_id=incubator_ids[incubator_index], organisation=en))
    for username, organisation in DEMO_INVESTORS:
        accounts.append(NewUser(username=username, display_name=organisation, role=Role.investor,
                                password=DEMO_PASSWORD, organisation=organisation))
    for account in accounts:
        await state.user_service.create_user(account, password_hash=ctx.password_hash)


async def seed_demo(state: AppState, seeders: Seeders) -> list[str]:
    """Run every seeder not yet recorded; returns the names of those that ran."""
    meta = durable(state.db, META)
    ran: list[str] = []
    context: DemoContext | None = None
    for name, function in seeders:
        if await meta.find_one({"_id": f"demo:{name}"}):
            continue
        context = context or DemoContext(state)
        await function(context)
        try:
            await meta.insert_one({"_id": f"demo:{name}", "kind": "demo_seed", "at": datetime.now(UTC)})
        except DuplicateKeyError:
            log.warning("demo seeder %s was recorded by another process", name)
        ran.append(name)
    return ran


async def seed_demo_if_empty(state: AppState, seeders: Seeders) -> list[str]:
    """For ``make run``: seed an empty park, and add later features' demo data to a demo park."""
    meta = durable(state.db, META)
    demo_park = await meta.find_one({"_id": "demo:registry"}) is not None
    if not demo_park and await state.incubators.count() > 0:
        log.info("database holds a park that is not the demo park: not seeding")
        return []
    return await seed_demo(state, seeders)


def demo_logins() -> list[tuple[str, str]]:
    rows = [("admin", "admin"), ("evaluator1, evaluator2", "evaluator"), ("ipadvisor1 … ipadvisor3", "ip_advisor"),
            (f"manager01 … manager{len(DEMO_INCUBATORS):02d}", "manager (one per incubator)"),
            (f"startup01 … startup{len(DEMO_STARTUPS):02d}", "startup"),
            (f"investor01 … investor{len(DEMO_INVESTORS):02d}", "investor")]
    return rows
