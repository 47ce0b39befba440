"""Demo data: eight quarters (2024Q4–2026Q3) of plausible metrics for the demo park — some incubators
improving into the benchmark tier, some declining, some with values missing — submitted by each incubator's
manager, with an amendment, a draft, a closed window and published rankings."""

from __future__ import annotations

import logging

import numpy as np

from backend.demo.seed import DEMO_INCUBATORS, DemoContext
from backend.submissions.service import SaveRequest, submission_service
from backend.users.models import Role, User
from evaluation import shift_quarter

log = logging.getLogger(__name__)

DEMO_QUARTERS = [shift_quarter("2026Q3", k) for k in range(-7, 1)]  # 2024Q4 … 2026Q3

# Activity per tenant at the level of a solid benchmark incubator (quality 1.0), from a 60-tenant example.
PER_TENANT = {
    "new_tenants": 8 / 60, "graduated_tenants": 4 / 60, "tech_conversion_contracts": 5 / 60,
    "tech_conversion_value": 800 / 60, "patents_filed": 20 / 60, "patents_granted": 9 / 60,
    "patents_licensed": 2 / 60, "tenants_with_patent_filings": 25 / 60, "financed_tenants": 12 / 60,
    "financing_amount": 6000 / 60, "own_fund_investments": 2 / 60, "own_fund_investment_amount": 500 / 60,
    "mentors": 18 / 60, "mentoring_hours": 400 / 60, "training_events": 9 / 60, "supply_chain_events": 4 / 60,
    "tenants_in_large_firm_supply_chains": 6 / 60, "large_firm_deals": 5 / 60, "tenant_revenue": 30000 / 60,
    "tenant_rd_spend": 4000 / 60, "tenant_employment": 900 / 60, "high_tech_tenants": 15 / 60,
    "specialised_tenants": 6 / 60,
}
ABSOLUTE = {"partner_investment_institutions": 10, "international_partners": 3, "cross_border_services": 4,
            "overseas_tenants_or_projects": 2}
AMOUNTS = {"tech_conversion_value", "financing_amount", "own_fund_investment_amount", "tenant_revenue",
           "tenant_rd_spend"}
SHARE_OF_TENANTS = {"new_tenants", "graduated_tenants", "tenants_with_patent_filings", "financed_tenants",
                    "tenants_in_large_firm_supply_chains", "high_tech_tenants", "specialised_tenants"}

# (quality in 2024Q4, quality in 2026Q3) per demo incubator, in DEMO_INCUBATORS order; 1.0 ≈ benchmark.
TRAJECTORIES = [
    (1.05, 1.15), (0.55, 1.05), (0.45, 0.5), (1.1, 0.6), (0.7, 0.95), (0.35, 0.4), (0.8, 0.8),
    (0.5, 0.85), (1.0, 1.1), (0.9, 0.55), (0.3, 0.6), (0.6, 0.65), (0.85, 1.2), (0.4, 0.3),
]
# Incubators (by index) that leave some fields unreported in some quarters.
GAPPY = {2: ("mentoring_hours", "cross_border_services"), 5: ("tenant_rd_spend",), 11: ("own_fund_investment_amount",)}
LATE = 13  # has not submitted the latest quarter (shows in reminders)
DRAFTING = 7  # has only a draft for the latest quarter


def quarter_metrics(index: int, floor_area: float, k: int, rng: np.random.Generator) -> dict[str, float | None]:
    start, end = TRAJECTORIES[index % len(TRAJECTORIES)]
    quality = start + (end - start) * k / (len(DEMO_QUARTERS) - 1)
    tenants = max(6, round(floor_area / 300 * rng.uniform(0.9, 1.1)))
    values: dict[str, float | None] = {"tenants": float(tenants)}
    for field, rate in PER_TENANT.items():
        raw = rate * tenants * quality * rng.uniform(0.85, 1.15)
        value = round(raw, 1) if field in AMOUNTS else float(round(raw))
        if field in SHARE_OF_TENANTS:
            value = min(value, float(tenants))
        values[field] = value
    for field, level in ABSOLUTE.items():
        values[field] = float(round(level * quality * rng.uniform(0.7, 1.3)))
    staff = max(4, round(tenants / 3))
    values["staff"] = float(staff)
    values["professional_staff"] = float(min(staff, round(staff * 0.6 * min(quality, 1.4))))
    values["floor_area"] = float(floor_area)
    values["incubation_area_used"] = round(floor_area * rng.uniform(0.65, 0.92), 1)
    total = round(floor_area * 0.08 * rng.uniform(0.9, 1.1), 1)
    values["total_income"] = total
    values["non_rent_income"] = round(total * min(0.9, 0.35 * quality), 1)
    for field in GAPPY.get(index, ()):
        if k % 3 == 1:
            values[field] = None
    return values


async def seed_quarterly_metrics(ctx: DemoContext) -> None:
    state = ctx.state
    service = submission_service(state)
    incubators = {i.name_en: i for i in await state.incubators.all()}
    managers = {u.incubator_id: u for u in await state.users.list(Role.manager.value, None, 200)}
    evaluator = await state.users.by_username("evaluator1")
    admin = await state.users.by_username("admin")
    rng = np.random.default_rng(2026)
    latest = DEMO_QUARTERS[-1]
    for index, row in enumerate(DEMO_INCUBATORS):
        incubator = incubators.get(row[1])
        if incubator is None:
            continue
        author: User | None = managers.get(incubator.id) or admin
        if author is None:
            continue
        for k, quarter in enumerate(DEMO_QUARTERS):
            values = quarter_metrics(index, incubator.floor_area, k, rng)
            if quarter == latest and index == LATE:
                continue
            final = not (quarter == latest and index == DRAFTING)
            await service.save(author, SaveRequest(incubator.id, quarter, list(values.items()), final),
                               source="demo")
        if index == 0:  # an amendment, so the audit trail has something to show
            values = quarter_metrics(index, incubator.floor_area, len(DEMO_QUARTERS) - 2, rng)
            values["mentors"] = (values["mentors"] or 0) + 2
            await service.save(author, SaveRequest(incubator.id, DEMO_QUARTERS[-2], list(values.items()), True,
                                                   base_revision=1), source="demo")
    if evaluator is not None:
        await service.close_window(evaluator, DEMO_QUARTERS[-2])
        rankings = state.rankings
        for quarter in DEMO_QUARTERS[-3:]:
            await rankings.publish(evaluator, quarter)
    log.info("demo quarterly metrics: %d quarters for %d incubators", len(DEMO_QUARTERS), len(DEMO_INCUBATORS))
