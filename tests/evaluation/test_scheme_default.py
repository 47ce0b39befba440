from __future__ import annotations

from evaluation import DIMENSION_IDS, Scheme

REQUIRED_FIELDS = """tenants new_tenants graduated_tenants tech_conversion_contracts tech_conversion_value patents_filed
patents_granted patents_licensed tenants_with_patent_filings financed_tenants financing_amount own_fund_investments
own_fund_investment_amount partner_investment_institutions mentors mentoring_hours training_events
supply_chain_events tenants_in_large_firm_supply_chains large_firm_deals international_partners
cross_border_services overseas_tenants_or_projects tenant_revenue tenant_rd_spend tenant_employment
high_tech_tenants specialised_tenants staff professional_staff floor_area incubation_area_used non_rent_income
total_income""".split()


def test_default_scheme_is_complete(scheme: Scheme) -> None:
    assert scheme.version == "2025.1"
    assert scheme.dimension_ids == DIMENSION_IDS
    assert set(REQUIRED_FIELDS) <= set(scheme.field_ids)
    assert 20 <= len(scheme.indicators) <= 30
    assert all(i.basis.strip() for i in scheme.indicators)
    assert all(f.help_zh and f.help_en and f.name_zh and f.name_en for f in scheme.raw_fields)
    assert abs(scheme.global_weights().sum() - 1) < 1e-12
    assert [t.id for t in scheme.tiers] == ["benchmark", "near_benchmark", "developing", "needs_improvement"]
    assert [t.name_zh for t in scheme.tiers] == ["标杆", "准标杆", "发展中", "待提升"]
    assert scheme.missing.policy == "impute" and scheme.method["normalization"] == "target"
    assert any(i.is_cost for i in scheme.indicators)


def test_submission_check_reports_every_problem(scheme: Scheme) -> None:
    issues = scheme.check_values({"tenants": 10, "financed_tenants": 12, "graduated_tenants": -1,
                                  "mentors": 1.5, "bogus": 3, "staff": None})
    got = {(i.field, i.code) for i in issues}
    assert got == {("financed_tenants", "CONSTRAINT_VIOLATED"), ("graduated_tenants", "NEGATIVE_VALUE"),
                   ("mentors", "NOT_INTEGER"), ("bogus", "UNKNOWN_FIELD")}
    c = next(c for c in scheme.constraints if c.left == "financed_tenants")
    assert c.message_zh and c.message_en and c.right == "tenants" and c.op == "<="
