"""Shared helpers for submission and ranking tests: a small park with one account per role."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from backend.security import issue_token
from backend.users.models import Role
from tests.conftest import JWT_SECRET

# A consistent quarter of metrics for a mid-sized incubator (every field of the default scheme).
BASE_METRICS: dict[str, float | None] = {
    "tenants": 60, "new_tenants": 8, "graduated_tenants": 4, "tech_conversion_contracts": 5,
    "tech_conversion_value": 800.0, "patents_filed": 20, "patents_granted": 9, "patents_licensed": 2,
    "tenants_with_patent_filings": 25, "financed_tenants": 12, "financing_amount": 6000.0,
    "own_fund_investments": 2, "own_fund_investment_amount": 500.0, "partner_investment_institutions": 10,
    "mentors": 18, "mentoring_hours": 400.0, "training_events": 9, "supply_chain_events": 4,
    "tenants_in_large_firm_supply_chains": 6, "large_firm_deals": 5, "international_partners": 3,
    "cross_border_services": 4, "overseas_tenants_or_projects": 2, "tenant_revenue": 30000.0,
    "tenant_rd_spend": 4000.0, "tenant_employment": 900, "high_tech_tenants": 15, "specialised_tenants": 6,
    "staff": 20, "professional_staff": 12, "floor_area": 12000.0, "incubation_area_used": 9000.0,
    "non_rent_income": 300.0, "total_income": 1000.0,
}


def metrics(**overrides: float | None) -> list[dict[str, Any]]:
    values = {**BASE_METRICS, **overrides}
    return [{"field": k, "value": v} for k, v in values.items()]


def submit_input(incubator_id: str, quarter: str = "2025Q3", final: bool = True, **extra: Any) -> dict[str, Any]:
    overrides = extra.pop("overrides", {})
    body: dict[str, Any] = {"incubatorId": incubator_id, "quarter": quarter, "metrics": metrics(**overrides),
                            "final": final}
    body.update(extra)
    return body


@dataclass
class Park:
    incubator: str
    other: str
    tokens: dict[str, str]


async def make_park(gql: Any, people: Any) -> Park:
    """Two incubators; admin, evaluator, manager (of the first), other manager, startup, investor, ip advisor."""
    from datetime import date

    first = await people.incubator("Alpha Incubator", founded_on=date(2015, 1, 1))
    second = await people.incubator("Beta Incubator", founded_on=date(2024, 5, 20))
    startup = await people.state.startups.insert({"_id": "s-1", "name_zh": "初创", "name_en": "Startup One",
                                                  "incubator_id": first, "industry": "fintech"})
    users = [await people.make("admin", Role.admin), await people.make("evaluator", Role.evaluator),
             await people.make("manager", Role.manager, incubator_id=first),
             await people.make("othermanager", Role.manager, incubator_id=second),
             await people.make("startup", Role.startup, startup_id=startup.id, incubator_id=first),
             await people.make("investor", Role.investor), await people.make("advisor", Role.ip_advisor)]
    return Park(first, second, {u.username: token_for(u) for u in users})


def token_for(user: Any, lifetime: timedelta = timedelta(hours=1), now: datetime | None = None) -> str:
    """A signed token without the ~150 ms argon2 login (login itself is tested by the foundation)."""
    token, _ = issue_token(user.id, user.role.value, JWT_SECRET, lifetime, now=now)
    return token
