"""Ranking fixtures: a park with three incubators' submitted metrics, and a database command counter."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from backend.submissions.service import SaveRequest, submission_service
from tests.conftest import COUNTER, CommandCounter
from tests.submissions.helpers import BASE_METRICS, Park, make_park


@pytest.fixture
def command_counter() -> CommandCounter:
    return COUNTER


def scaled(factor: float, **overrides: float | None) -> list[tuple[str, float | None]]:
    """BASE_METRICS with every count/amount scaled (ratios between fields kept, so constraints hold)."""
    values: dict[str, float | None] = {}
    for key, value in BASE_METRICS.items():
        if value is None:
            values[key] = None
        elif key in ("tenants", "floor_area", "incubation_area_used", "staff", "total_income",
                   "professional_staff"):
            values[key] = value  # denominators fixed
        else:
            values[key] = float(round(value * factor))
    values.update(overrides)
    return list(values.items())


@dataclass
class RankedPark:
    park: Park
    third: str
    users: dict = field(default_factory=dict)


async def submit(state, user, incubator_id: str, quarter: str, metrics, base: int | None = None):
    return (await submission_service(state).save(user, SaveRequest(incubator_id, quarter, list(metrics), True,
                                                                   base))).revision


@pytest.fixture
async def ranked(gql, people, state) -> RankedPark:
    """Five quarters, so trailing-four-quarter indicators are defined in 2025Q2 and 2025Q3: all equal
    (factor 1.0) from 2024Q3 to 2025Q1; Alpha weak, Beta middling, Gamma strong in 2025Q2; reversed in 2025Q3."""
    park = await make_park(gql, people)
    third = await people.incubator("Gamma Incubator")
    admin = await state.users.by_username("admin")
    plan = (("2024Q3", (1.0, 1.0, 1.0)), ("2024Q4", (1.0, 1.0, 1.0)), ("2025Q1", (1.0, 1.0, 1.0)),
            ("2025Q2", (0.5, 1.0, 1.5)), ("2025Q3", (1.5, 1.0, 0.5)))
    for quarter, factors in plan:
        for incubator, factor in zip((park.incubator, park.other, third), factors, strict=True):
            await submit(state, admin, incubator, quarter, scaled(factor))
    return RankedPark(park, third, {"admin": admin})
