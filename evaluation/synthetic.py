"""Plausible synthetic quarterly metrics (consistent with the default scheme's constraints), for tests,
benchmarks and demos. Pure numpy; seedable."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .engine import shift_quarter

__all__ = ["quarters_until", "synthetic_metrics"]


def quarters_until(last: str, count: int) -> list[str]:
    """``count`` consecutive quarters ending with ``last``."""
    return [shift_quarter(last, k - count + 1) for k in range(count)]


def synthetic_metrics(n: int, quarters: Sequence[str], seed: int = 0,
                      quality: Sequence[float] | None = None) -> dict[str, dict[str, dict[str, float | None]]]:
    """``{incubator_id: {quarter: {field: value}}}`` for ``n`` incubators ``inc-0001``…; ``quality`` in
    [0, 1.5] per incubator scales performance (default: uniform random). Platform-counted fields
    (IP consultations, signed cooperations) come from a second stream, so adding them left the
    reported fields of every seed unchanged."""
    rng = np.random.default_rng(seed)
    platform_rng = np.random.default_rng([seed, 1])
    qual = np.asarray(quality, dtype=np.float64) if quality is not None else rng.uniform(0.2, 1.4, n)
    out: dict[str, dict[str, dict[str, float | None]]] = {}
    for i in range(n):
        q0 = float(qual[i])
        base_tenants = int(rng.integers(20, 120))
        recs: dict[str, dict[str, float | None]] = {}
        for t, quarter in enumerate(quarters):
            qq = q0 * (1 + 0.03 * t)
            tenants = max(5, base_tenants + int(rng.integers(-3, 6)) + t)

            def cnt(mean: float, cap: int | None = None) -> float:
                v = int(rng.poisson(max(mean, 0.0)))
                return float(min(v, cap) if cap is not None else v)

            def amt(mean: float) -> float:
                return round(float(rng.gamma(2.0, max(mean, 1e-6) / 2.0)), 2)

            staff = float(max(3, int(rng.integers(5, 25))))
            floor = float(int(rng.integers(5000, 30000)))
            total_income = amt(300 + 5 * tenants)
            recs[quarter] = {
                "tenants": float(tenants),
                "new_tenants": cnt(tenants * 0.08, tenants),
                "graduated_tenants": cnt(tenants * 0.03 * qq, tenants),
                "tech_conversion_contracts": cnt(tenants * 0.08 * qq),
                "tech_conversion_value": amt(tenants * 5 * qq),
                "patents_filed": cnt(tenants * 0.3 * qq),
                "patents_granted": cnt(tenants * 0.12 * qq),
                "patents_licensed": cnt(tenants * 0.025 * qq),
                "tenants_with_patent_filings": cnt(tenants * 0.45 * qq, tenants),
                "financed_tenants": cnt(tenants * 0.18 * qq, tenants),
                "financing_amount": amt(tenants * 25 * qq),
                "own_fund_investments": cnt(tenants * 0.025 * qq),
                "own_fund_investment_amount": amt(120 * qq),
                "partner_investment_institutions": cnt(9 * qq),
                "mentors": cnt(tenants * 0.1 * qq),
                "mentoring_hours": amt(tenants * 5 * qq),
                "training_events": cnt(6 * qq),
                "supply_chain_events": cnt(3 * qq),
                "tenants_in_large_firm_supply_chains": cnt(tenants * 0.13 * qq, tenants),
                "large_firm_deals": cnt(tenants * 0.05 * qq),
                "international_partners": cnt(4 * qq),
                "cross_border_services": cnt(tenants * 0.07 * qq),
                "overseas_tenants_or_projects": cnt(tenants * 0.045 * qq, tenants),
                "tenant_revenue": amt(tenants * 120 * qq),
                "tenant_rd_spend": amt(tenants * 12 * qq),
                "tenant_employment": cnt(tenants * 14 * qq),
                "high_tech_tenants": cnt(tenants * 0.27 * qq, tenants),
                "specialised_tenants": cnt(tenants * 0.09 * qq, tenants),
                "staff": staff,
                "professional_staff": float(min(staff, cnt(staff * 0.75 * min(qq, 1.3)))),
                "floor_area": floor,
                "incubation_area_used": float(round(floor * min(0.98, 0.6 + 0.2 * qq), 0)),
                "non_rent_income": round(min(total_income, total_income * 0.28 * qq), 2),
                "total_income": total_income,
            }
            held = float(platform_rng.poisson(tenants * 0.12 * qq))
            recs[quarter].update({
                "ip_consultations_held": held,
                "ip_consultation_no_shows": float(platform_rng.poisson(held * 0.1 + 0.2)),
                "ip_conversion_consultations": float(platform_rng.binomial(int(held), 0.4)),
                "platform_investment_deals": float(platform_rng.poisson(tenants * 0.03 * qq)),
                "platform_supply_chain_deals": float(platform_rng.poisson(tenants * 0.03 * qq)),
            })
        out[f"inc-{i + 1:04d}"] = recs
    return out
