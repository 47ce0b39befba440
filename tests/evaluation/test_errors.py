"""Every error code is raised with the incubator and field named; nothing is silently coerced."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np
import pytest

from evaluation import (
    EvaluationError,
    InputError,
    MethodError,
    MethodSpec,
    QuarterData,
    SchemeError,
    evaluate,
    evaluate_matrix,
    explain_change,
    load_scheme_text,
    what_if,
)

from .conftest import TINY_SCHEME, tiny_scheme


def data() -> dict:
    return {"X": {"2025Q3": {"n": 20, "a": 5, "b": 10}}, "Y": {"2025Q3": {"n": 10, "a": 5, "b": 6}}}


@pytest.mark.parametrize(("field", "value", "code"), [
    ("a", -1, "NEGATIVE_VALUE"),
    ("b", float("nan"), "NOT_FINITE"),
    ("b", float("inf"), "NOT_FINITE"),
    ("b", 2.5, "NOT_INTEGER"),
    ("b", "7", "INVALID_TYPE"),
    ("b", True, "INVALID_TYPE"),
    ("a", 25, "CONSTRAINT_VIOLATED"),
    ("zzz", 1, "UNKNOWN_FIELD"),
])
def test_bad_values_raise_with_incubator_and_field(field: str, value: object, code: str) -> None:
    d = data()
    d["Y"]["2025Q3"][field] = value
    with pytest.raises(InputError) as exc:
        evaluate(d, tiny_scheme(), "2025Q3")
    assert exc.value.code == code
    assert exc.value.incubator_id == "Y"
    assert exc.value.field == field
    assert isinstance(exc.value, EvaluationError)


def test_zero_denominator_names_incubator_and_denominator_field() -> None:
    d = data()
    d["Y"]["2025Q3"] = {"n": 0, "a": 0, "b": 3}
    with pytest.raises(InputError) as exc:
        evaluate(d, tiny_scheme(), "2025Q3")
    assert (exc.value.code, exc.value.incubator_id, exc.value.field) == ("ZERO_DENOMINATOR", "Y", "n")


def test_zero_denominator_in_the_default_scheme(metrics: dict, scheme) -> None:
    d = copy.deepcopy(metrics)
    d["inc-0004"]["2025Q3"]["staff"] = 0
    d["inc-0004"]["2025Q3"]["professional_staff"] = 0
    with pytest.raises(InputError) as exc:
        evaluate(d, scheme, "2025Q3")
    assert (exc.value.code, exc.value.incubator_id, exc.value.field) == ("ZERO_DENOMINATOR", "inc-0004", "staff")


def test_unknown_not_applicable_item() -> None:
    with pytest.raises(InputError) as exc:
        evaluate(QuarterData(data(), not_applicable={"X": {"nope"}}), tiny_scheme(), "2025Q3")
    assert (exc.value.code, exc.value.incubator_id, exc.value.field) == ("UNKNOWN_FIELD", "X", "nope")


@pytest.mark.parametrize(("spec", "code", "field"), [
    (MethodSpec(weights=(("ia", 0.5), ("ib", 0.25), ("zz", 0.25))), "UNKNOWN_INDICATOR", "zz"),
    (MethodSpec(weights=(("ia", 0.5), ("ib", 0.25), ("ic", 0.3))), "WEIGHTS_DO_NOT_SUM", "weights"),
    (MethodSpec(normalization="magic"), "UNKNOWN_METHOD", "normalization"),
    (MethodSpec(weighting="blend", alpha=1.5), "BAD_PARAMETER", "alpha"),
    (MethodSpec(bounds=(("ia", 0.0, 1.0),)), "BAD_PARAMETER", "bounds"),
])
def test_bad_method_specs(spec: MethodSpec, code: str, field: str) -> None:
    with pytest.raises(EvaluationError) as exc:
        evaluate(data(), tiny_scheme(), "2025Q3", spec)
    assert (exc.value.code, exc.value.field) == (code, field)


def test_method_weight_override_is_used() -> None:
    r = evaluate(data(), tiny_scheme(), "2025Q3", MethodSpec(weights=(("ia", 0.0), ("ib", 0.0), ("ic", 1.0))))
    assert r.composite.tolist() == [100.0, 50.0]


def test_other_input_errors() -> None:
    with pytest.raises(InputError) as exc:
        evaluate(data(), tiny_scheme(), "2025-Q3")
    assert exc.value.code == "BAD_QUARTER"
    with pytest.raises(InputError) as exc:
        evaluate(data(), tiny_scheme(), "2024Q1")
    assert exc.value.code == "NO_DATA"
    with pytest.raises(InputError) as exc:
        evaluate({"X": [1, 2]}, tiny_scheme(), "2025Q3")  # type: ignore[dict-item]
    assert (exc.value.code, exc.value.incubator_id) == ("BAD_SHAPE", "X")
    with pytest.raises(MethodError) as mexc:
        evaluate(data(), tiny_scheme(), "2025Q3", "electre")
    assert mexc.value.code == "UNKNOWN_METHOD"
    r = evaluate(data(), tiny_scheme(), "2025Q3")
    with pytest.raises(InputError) as exc:
        r.scorecard("nobody")
    assert (exc.value.code, exc.value.incubator_id) == ("UNKNOWN_INCUBATOR", "nobody")
    with pytest.raises(InputError) as exc:
        what_if(r, "X", {"a": 100})
    assert (exc.value.code, exc.value.incubator_id, exc.value.field) == ("CONSTRAINT_VIOLATED", "X", "a")
    with pytest.raises(InputError) as exc:
        what_if(r, "X", {"a": -10})
    assert (exc.value.code, exc.value.field) == ("NEGATIVE_VALUE", "a")
    other = tiny_scheme().__class__(**{**tiny_scheme().__dict__, "indicators": tiny_scheme().indicators[:2]})
    with pytest.raises(MethodError) as mexc:  # a method change is explained (scheme effect); other indicators not
        explain_change(r, replace(r, scheme=other))
    assert mexc.value.code == "SCHEME_MISMATCH"


@pytest.mark.parametrize(("kwargs", "code", "field"), [
    ({"matrix": [[1, 2]], "weights": [0.5, 0.6]}, "WEIGHTS_DO_NOT_SUM", "weights"),
    ({"matrix": [[1, 2]], "weights": [1.0]}, "BAD_SHAPE", "weights"),
    ({"matrix": [1, 2], "weights": [1.0]}, "BAD_SHAPE", "matrix"),
    ({"matrix": [[1, -2]], "weights": [0.5, 0.5]}, "NEGATIVE_VALUE", "1"),
    ({"matrix": [[1, np.nan]], "weights": [0.5, 0.5]}, "NOT_FINITE", "1"),
    ({"matrix": [[1, 2]], "weights": [0.5, 0.5], "cost": [True]}, "BAD_SHAPE", "cost"),
])
def test_matrix_entry_validation(kwargs: dict, code: str, field: str) -> None:
    kwargs.setdefault("thresholds", [1.0] * (len(kwargs["weights"]) if kwargs["weights"] else 1))
    if code in ("BAD_SHAPE",) and field == "weights":
        kwargs["thresholds"] = [1.0, 1.0]
    with pytest.raises(InputError) as exc:
        evaluate_matrix(**kwargs)
    assert (exc.value.code, exc.value.field) == (code, field)


# ----- scheme files -------------------------------------------------------------------------------------
def test_scheme_weights_that_do_not_sum_are_reported_with_line() -> None:
    bad = TINY_SCHEME.replace("POLICY", "impute").replace("SHARE", "0.5").replace("weight = 0.5\n\n[[dimensions]]",
                                                                                  "weight = 0.4\n\n[[dimensions]]")
    with pytest.raises(SchemeError) as exc:
        load_scheme_text(bad)
    assert exc.value.code == "WEIGHTS_DO_NOT_SUM"
    issue = exc.value.issues[0]
    assert issue.field == "dimensions.weight" and issue.line is not None
    assert bad.splitlines()[issue.line - 1].startswith("weight")


def test_scheme_with_many_errors_reports_them_all_with_lines() -> None:
    bad = (TINY_SCHEME.replace("POLICY", "sometimes").replace("SHARE", "2")
           .replace('formula = "a / n"', 'formula = "a / (n"')
           .replace('formula = "b"', 'formula = "b * ghost"')
           .replace('direction = "benefit"\nunit = "家"', 'direction = "upward"\nunit = "家"')
           .replace('threshold = 20', 'threshold = 0')
           .replace('basis = "test"\n\n[tiers]', 'basis = ""\n\n[tiers]'))
    with pytest.raises(SchemeError) as exc:
        load_scheme_text(bad)
    err = exc.value
    assert err.code == "SCHEME_INVALID"
    fields = {i.field for i in err.issues}
    assert "indicators[0](ia).formula" in fields
    assert "indicators[1](ib).formula" in fields
    assert "indicators[2](ic).direction" in fields
    assert "indicators[2](ic).threshold" in fields
    assert "indicators[2](ic).basis" in fields
    assert "missing.policy" in fields and "missing.max_imputed_weight_share" in fields
    lines = bad.splitlines()
    for issue in err.issues:
        assert issue.line is not None
        key = issue.field.rsplit(".", 1)[-1]
        assert key in lines[issue.line - 1], (issue, lines[issue.line - 1])
    assert "ghost" in str(err)


def test_toml_syntax_error_has_a_line() -> None:
    with pytest.raises(SchemeError) as exc:
        load_scheme_text('version = "x"\n[[raw_fields]\nid = 1\n')
    assert exc.value.code == "SCHEME_INVALID" and exc.value.issues[0].line == 2


def test_missing_sections_and_unknown_constraint_field() -> None:
    with pytest.raises(SchemeError) as exc:
        load_scheme_text(TINY_SCHEME.replace("POLICY", "impute").replace("SHARE", "0.5").replace('right = "n"',
                                                                                                'right = "nn"'))
    assert [i.code for i in exc.value.issues] == ["UNKNOWN_FIELD"]
    with pytest.raises(SchemeError) as exc:
        load_scheme_text('version = "1"\n')
    assert {"raw_fields", "dimensions", "indicators", "tiers", "missing"} <= {i.field for i in exc.value.issues}
