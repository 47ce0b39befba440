"""Fixtures for the evaluation-engine tests (no database needed)."""

from __future__ import annotations

import pytest

from evaluation import Scheme, default_scheme, load_scheme_text
from evaluation.synthetic import quarters_until, synthetic_metrics

TINY_SCHEME = """
version = "test.1"

[[raw_fields]]
id = "n"
name_zh = "在孵企业数"
name_en = "Tenants"
unit = "家"
kind = "count"
min = 0

[[raw_fields]]
id = "a"
name_zh = "获得融资企业数"
name_en = "Financed tenants"
unit = "家"
kind = "count"
min = 0

[[raw_fields]]
id = "b"
name_zh = "活动数"
name_en = "Events"
unit = "场"
kind = "count"
min = 0

[[constraints]]
left = "a"
op = "<="
right = "n"
message_zh = "融资企业数不能超过在孵企业数"
message_en = "financed cannot exceed tenants"

[[dimensions]]
id = "d1"
name_zh = "维度一"
name_en = "Dimension one"
weight = 0.5

[[dimensions]]
id = "d2"
name_zh = "维度二"
name_en = "Dimension two"
weight = 0.5

[[indicators]]
id = "ia"
name_zh = "融资企业占比"
name_en = "Financed share"
dimension = "d1"
formula = "a / n"
direction = "benefit"
unit = "比例"
weight = 0.5
threshold = 0.5
lever = "a"
basis = "test"

[[indicators]]
id = "ib"
name_zh = "活动数"
name_en = "Events"
dimension = "d1"
formula = "b"
direction = "benefit"
unit = "场"
weight = 0.5
threshold = 10
basis = "test"

[[indicators]]
id = "ic"
name_zh = "在孵企业数"
name_en = "Tenants"
dimension = "d2"
formula = "n"
direction = "benefit"
unit = "家"
weight = 1.0
threshold = 20
basis = "test"

[tiers]
[[tiers.rules]]
id = "benchmark"
name_zh = "标杆"
name_en = "Benchmark"
min_composite = 80
min_dimension = 60

[[tiers.rules]]
id = "needs_improvement"
name_zh = "待提升"
name_en = "Needs improvement"

[missing]
policy = "POLICY"
impute_rules = ["previous_quarter", "peer_median"]
max_imputed_weight_share = SHARE
"""


def tiny_scheme(policy: str = "impute", share: float = 0.5) -> Scheme:
    return load_scheme_text(TINY_SCHEME.replace("POLICY", policy).replace("SHARE", repr(share)))


@pytest.fixture(scope="session")
def scheme() -> Scheme:
    return default_scheme()


@pytest.fixture(scope="session")
def metrics() -> dict[str, dict[str, dict[str, float | None]]]:
    return synthetic_metrics(15, quarters_until("2025Q3", 6), seed=11)
