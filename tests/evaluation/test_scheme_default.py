from __future__ import annotations

from pathlib import Path

import pytest

from evaluation import DIMENSION_IDS, Scheme, SchemeError, load_scheme_text, shipped_schemes

REQUIRED_FIELDS = """tenants new_tenants graduated_tenants tech_conversion_contracts tech_conversion_value patents_filed
patents_granted patents_licensed tenants_with_patent_filings financed_tenants financing_amount own_fund_investments
own_fund_investment_amount partner_investment_institutions mentors mentoring_hours training_events
supply_chain_events tenants_in_large_firm_supply_chains large_firm_deals international_partners
cross_border_services overseas_tenants_or_projects tenant_revenue tenant_rd_spend tenant_employment
high_tech_tenants specialised_tenants staff professional_staff floor_area incubation_area_used non_rent_income
total_income""".split()


def test_default_scheme_is_complete(scheme: Scheme) -> None:
    assert scheme.version == "2026.2"
    assert scheme.dimension_ids == DIMENSION_IDS
    assert set(REQUIRED_FIELDS) <= set(scheme.field_ids)
    assert len(scheme.indicators) == 34
    assert all(i.basis.strip() for i in scheme.indicators)
    assert all(f.help_zh and f.help_en and f.name_zh and f.name_en for f in scheme.raw_fields)
    assert abs(scheme.global_weights().sum() - 1) < 1e-12
    assert [t.id for t in scheme.tiers] == ["benchmark", "near_benchmark", "developing", "needs_improvement"]
    assert [t.name_zh for t in scheme.tiers] == ["标杆", "准标杆", "发展中", "待提升"]
    assert scheme.missing.policy == "impute" and scheme.method["normalization"] == "target"
    assert any(i.is_cost for i in scheme.indicators)


PLATFORM_FIELDS = ("ip_consultations_held", "ip_consultation_no_shows", "ip_conversion_consultations",
                   "platform_investment_deals", "platform_supply_chain_deals")


def test_platform_counted_fields_feed_four_dimensions_and_are_not_reported(scheme: Scheme) -> None:
    """The platform's own records (IP consultations, signed cooperations) carry 9.5 % of the weight:
    tech conversion .25 × .1 + investment .25 × .1 + mentoring .2 × (.1 + .05) + supply chain .15 × .1."""
    assert scheme.platform_field_ids == PLATFORM_FIELDS
    assert [f.id for f in scheme.reported_fields] == [f for f in scheme.field_ids if f not in PLATFORM_FIELDS]
    fed = {i.id: i.dimension for i in scheme.indicators if set(i.formula.fields) & set(PLATFORM_FIELDS)}
    assert fed == {"ip_conversion_consultations_per_10_tenants": "tech_conversion",
                   "platform_investment_deals_per_10_tenants": "investment",
                   "ip_consultations_per_10_tenants": "mentoring",
                   "ip_consultation_attendance_rate": "mentoring",
                   "platform_supply_chain_deals_per_10_tenants": "supply_chain"}
    weights = dict(zip(scheme.indicator_ids, scheme.global_weights(), strict=True))
    assert sum(weights[i] for i in fed) == pytest.approx(0.095)
    assert scheme.indicator("ip_consultation_attendance_rate").zero_denominator == "not_applicable"
    assert all(scheme.indicator(i).zero_denominator == "error" for i in fed if i != "ip_consultation_attendance_rate")


def test_earlier_scheme_versions_stay_shipped(scheme: Scheme) -> None:
    shipped = shipped_schemes()
    assert shipped["2026.2"] is scheme
    assert shipped["2026.1"].indicator_ids == scheme.indicator_ids and shipped["2026.1"].gates == ()
    old = shipped["2025.1"]
    assert len(old.indicators) == 29 and old.platform_field_ids == ()
    assert old.indicator("financed_tenant_share").weight == 0.3


def test_unknown_field_source_and_zero_denominator_rule_are_reported() -> None:
    text = (Path(__file__).parents[2] / "evaluation" / "schemes" / "2025.1.toml").read_text(encoding="utf-8")
    text = text.replace('dimension = "mentoring"\n', 'dimension = "mentoring"\nsource = "guessed"\n', 1)
    text = text.replace('effort = 1.0\n', 'effort = 1.0\nzero_denominator = "ignore"\n', 1)
    with pytest.raises(SchemeError) as caught:
        load_scheme_text(text)
    assert {i.field.split(".")[-1] for i in caught.value.issues} == {"source", "zero_denominator"}


def test_submission_check_reports_every_problem(scheme: Scheme) -> None:
    issues = scheme.check_values({"tenants": 10, "financed_tenants": 12, "graduated_tenants": -1,
                                  "mentors": 1.5, "bogus": 3, "staff": None})
    got = {(i.field, i.code) for i in issues}
    assert got == {("financed_tenants", "CONSTRAINT_VIOLATED"), ("graduated_tenants", "NEGATIVE_VALUE"),
                   ("mentors", "NOT_INTEGER"), ("bogus", "UNKNOWN_FIELD")}
    c = next(c for c in scheme.constraints if c.left == "financed_tenants")
    assert c.message_zh and c.message_en and c.right == "tenants" and c.op == "<="
