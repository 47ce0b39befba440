"""Shared set-up for the platform-counted evaluation inputs."""

from __future__ import annotations

from typing import Any

from backend.users.models import Role, User
from cloud_incubator.matchmaking.models import Decision
from cloud_incubator.matchmaking.service import service


async def matched_startup(state: Any, people: Any, admin: User, incubator_id: str) -> Any:
    """ChainTrust (account ``chain_user``) of ``incubator_id`` and Xicheng Fund (``investor_x``) after
    both said they are interested: the match a signed cooperation is recorded on."""
    mm = service(state)
    chain = await mm.create_startup(admin, {"name_zh": "链信科技", "name_en": "ChainTrust", "industry": "fintech",
                                            "stage": "series_a", "needs": ["funding"], "ask_min": 800, "ask_max": 800,
                                            "incubator_id": incubator_id})
    chain_user = await people.make("chain_user", Role.startup, startup_id=chain.id, incubator_id=incubator_id)
    investor = await people.make("investor_x", Role.investor)
    fund = await mm.save_counterpart(investor, None, "investor", {
        "name_zh": "西城科创基金", "name_en": "Xicheng Fund", "industries": ["fintech"], "stages": ["series_a"],
        "ticket_min": 500, "ticket_max": 1000})
    await mm.decide(chain_user, chain.id, fund.id, Decision.interested)
    match, _ = await mm.decide(investor, chain.id, fund.id, Decision.interested)
    return match
