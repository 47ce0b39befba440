"""A small park for matchmaking tests: one incubator, two startups with accounts, investors, a provider."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest

from backend.users.models import Role, User
from cloud_incubator.matchmaking.service import service

CHAIN = {"name_zh": "链信科技", "name_en": "ChainTrust", "industry": "fintech", "stage": "series_a",
         "needs": ["funding", "ip"], "ask_min": 800, "ask_max": 800, "tags": ["payments", "risk"]}
BRUSH = {"name_zh": "墨笔文创", "name_en": "Brush Creative", "industry": "culture_tech", "stage": "angel",
         "needs": ["funding"], "ask_min": 500, "ask_max": 900}
FUND_X = {"name_zh": "西城科创基金", "name_en": "Xicheng Fund", "industries": ["fintech", "digital"],
          "stages": ["angel", "series_a"], "ticket_min": 500, "ticket_max": 1000, "tags": ["payments", "blockchain"]}
FUND_W = {"name_zh": "文化产业基金", "name_en": "Culture Fund", "industries": ["culture_tech"],
          "ticket_min": 600, "ticket_max": 1200}
FUND_Y = {"name_zh": "大额成长基金", "name_en": "Growth Fund", "ticket_min": 1000, "ticket_max": 3000}
PROVIDER = {"name_zh": "知识产权事务所", "name_en": "IP Counsel", "organisation": "西城知识产权服务中心",
            "services": ["ip", "legal"], "tags": ["risk"]}


@dataclass
class Park:
    incubator_id: str
    admin: User
    manager: User
    chain: str
    brush: str
    chain_user: User
    brush_user: User
    investor_x: User
    investor_w: User
    x: str
    w: str
    y: str
    provider: str

    def ids(self) -> dict[str, Any]:
        return self.__dict__


@pytest.fixture
async def park(state, people) -> Park:
    incubator_id = await people.incubator("Matchmaking Incubator")
    other_incubator = await people.incubator("Other Incubator")
    admin = await people.make("mm_admin", Role.admin)
    manager = await people.make("mm_manager", Role.manager, incubator_id=incubator_id)
    await people.make("mm_other_manager", Role.manager, incubator_id=other_incubator)
    mm = service(state)
    chain = await mm.create_startup(admin, {**CHAIN, "incubator_id": incubator_id})
    brush = await mm.create_startup(admin, {**BRUSH, "incubator_id": incubator_id})
    chain_user = await people.make("chain_user", Role.startup, startup_id=chain.id, incubator_id=incubator_id)
    brush_user = await people.make("brush_user", Role.startup, startup_id=brush.id, incubator_id=incubator_id)
    investor_x = await people.make("investor_x", Role.investor)
    investor_w = await people.make("investor_w", Role.investor)
    x = await mm.save_counterpart(investor_x, None, "investor", FUND_X)
    w = await mm.save_counterpart(investor_w, None, "investor", FUND_W)
    y = await mm.save_counterpart(manager, None, "investor", FUND_Y)
    provider = await mm.save_counterpart(manager, None, "provider", PROVIDER)
    return Park(incubator_id, admin, manager, chain.id, brush.id, chain_user, brush_user, investor_x, investor_w,
                x.id, w.id, y.id, provider.id)


async def add_lead(state, investor: User, startup_id: str, at: datetime | None = None) -> None:
    """An investor's "interested" signal during a roadshow pitch, as the roadshow rooms store it."""
    await state.db["leads"].insert_one({"investor_user_id": investor.id, "startup_id": startup_id,
                                        "roadshow_id": "rs-demo", "pitch_index": 0,
                                        "at": at or datetime(2026, 5, 12, 10, 30, tzinfo=UTC)})
