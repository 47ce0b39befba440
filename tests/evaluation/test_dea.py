"""DEA (evaluation/dea.py) against published DEAP runs, a hand-worked case and model properties."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from evaluation.dea import ccr_output_from_input, dea, dea_scale, dea_views
from evaluation.errors import InputError, MethodError

# Coelli (1996), "A Guide to DEAP Version 2.1", CEPA Working Paper 96/08, example 1 (eg1-dta.txt):
# five firms, one output, two inputs; rows are (y, x1, x2).
EG1 = np.array([[1, 2, 5], [2, 2, 4], [3, 6, 6], [1, 3, 2], [2, 6, 2]], dtype=float)


def test_deap_example_1_crs_input_oriented() -> None:
    """DEAP 2.1 eg1-out.txt (input orientated, CRS), as printed in the guide and in the distributed file:

    te 0.500 1.000 0.833 0.714 1.000; input slacks: firm 1 has 0.500 on input 2, all others 0;
    peers (weights): 1: 2 (0.500); 2: 2 (1.000); 3: 5 (0.500), 2 (1.000); 4: 5 (0.286), 2 (0.214); 5: 5 (1.000);
    input targets (1.000, 2.000) (2.000, 4.000) (5.000, 5.000) (2.143, 1.429) (6.000, 2.000); output targets = y.
    """
    r = dea(EG1[:, 1:], EG1[:, :1], model="ccr", orientation="input", dmu_ids=["1", "2", "3", "4", "5"])
    np.testing.assert_allclose(r.efficiency, [0.500, 1.000, 0.833, 0.714, 1.000], atol=5e-4)
    np.testing.assert_allclose(r.input_slacks, [[0, 0.5], [0, 0], [0, 0], [0, 0], [0, 0]], atol=5e-4)
    np.testing.assert_allclose(r.output_slacks, np.zeros((5, 1)), atol=5e-4)
    np.testing.assert_allclose(r.input_targets, [[1, 2], [2, 4], [5, 5], [2.143, 1.429], [6, 2]], atol=5e-4)
    np.testing.assert_allclose(r.output_targets, EG1[:, :1], atol=5e-4)
    expected_peers = {"1": {"2": 0.5}, "2": {"2": 1.0}, "3": {"5": 0.5, "2": 1.0},
                      "4": {"5": 0.286, "2": 0.214}, "5": {"5": 1.0}}
    for firm, peers in expected_peers.items():
        got = dict(r.peers(firm))
        assert got.keys() == peers.keys(), firm
        for peer, weight in peers.items():
            assert got[peer] == pytest.approx(weight, abs=5e-4)
    assert r.efficient().tolist() == [False, True, False, False, True]
    np.testing.assert_allclose(r.input_savings[0], [1.0, 3.0], atol=1e-9)  # 2 → 1 and 5 → 2
    row = r.rows()[0]
    assert row["dmu"] == "1" and row["efficient"] is False
    assert row["input_targets"] == {"x1": pytest.approx(1.0), "x2": pytest.approx(2.0)}
    assert row["peers"] == [("2", pytest.approx(0.5))]


# A DEAP 2.1 run printed with its full output in https://bbs.pinggu.org/thread-1434967-1-1.html ("Output
# orientated DEA", "Scale assumption: VRS"): five firms, three outputs, one input. Every firm is VRS-efficient
# with zero slacks, so its printed target tables are the data.
XIN_Y = np.array([[6149, 5, 537], [7364, 5, 679], [8874, 8, 905], [10063, 13, 1094], [12359, 19, 1623]], dtype=float)
XIN_X = np.array([[6], [9], [16], [24], [36]], dtype=float)


def test_deap_output_oriented_vrs_run_with_scale_and_returns() -> None:
    """Printed efficiency summary: crste 1.000 0.843 0.632 0.650 0.633; vrste 1.000 (all);
    scale 1.000 0.843 0.632 0.650 0.633; returns "-", drs, drs, drs, drs."""
    sr = dea_scale(XIN_X, XIN_Y, orientation="output")
    np.testing.assert_allclose(sr.ccr.efficiency, [1.000, 0.843, 0.632, 0.650, 0.633], atol=5e-4)
    np.testing.assert_allclose(sr.bcc.efficiency, np.ones(5), atol=1e-9)
    np.testing.assert_allclose(sr.scale_efficiency, [1.000, 0.843, 0.632, 0.650, 0.633], atol=5e-4)
    assert sr.returns_to_scale == ("constant", "decreasing", "decreasing", "decreasing", "decreasing")
    np.testing.assert_allclose(sr.bcc.output_targets, XIN_Y, rtol=1e-9)
    np.testing.assert_allclose(sr.bcc.input_targets, XIN_X, rtol=1e-9)
    for k in range(5):
        assert sr.bcc.peers(k) == [(str(k + 1), pytest.approx(1.0))]


def test_hand_worked_one_input_one_output() -> None:
    """Three DMUs, x → y: A 2 → 1, B 3 → 3, C 6 → 4.

    CCR (constant returns): productivity y/x is 0.5, 1, 2/3; the best is B, so the input scores are
    θ = 0.5, 1, 2/3 and the only peer is B with λ_B = y/3: A 1/3, C 4/3. Input targets θx: A 1, C 4
    (saving 1 and 2). Output orientation: η = 1/θ = 2, 1, 1.5, μ_B = λ_B/θ = 2/3 and 2; output targets
    ηy: A 2, C 6 (gains 1 and 2).
    BCC (variable returns): the frontier is A–B–C (slopes 2 then 1/3, concave), so all three score 1 in
    both orientations. Scale efficiency = CCR/BCC = 0.5, 1, 2/3.
    Returns to scale (NIRS test): A's CCR peer weights sum to 1/3 ≤ 1 (input) and 2/3 ≤ 1 (output), so
    NIRS = CCR ≠ BCC: increasing. C's sum to 4/3 and 2 > 1; under Σλ ≤ 1 only C itself produces y = 4
    from x = 6, so NIRS = 1 = BCC: decreasing. B: constant.
    """
    x = np.array([[2.0], [3.0], [6.0]])
    y = np.array([[1.0], [3.0], [4.0]])
    ids = ["A", "B", "C"]
    views = dea_views(x, y, dmu_ids=ids)
    inp, out = views["input"], views["output"]
    np.testing.assert_allclose(inp.ccr.efficiency, [0.5, 1.0, 2 / 3], rtol=1e-9)
    np.testing.assert_allclose(inp.ccr.steps.radial, [0.5, 1.0, 2 / 3], rtol=1e-9)
    np.testing.assert_allclose(out.ccr.steps.radial, [2.0, 1.0, 1.5], rtol=1e-9)
    np.testing.assert_allclose(out.ccr.efficiency, [0.5, 1.0, 2 / 3], rtol=1e-9)
    assert inp.ccr.peers("A") == [("B", pytest.approx(1 / 3))]
    assert inp.ccr.peers("C") == [("B", pytest.approx(4 / 3))]
    assert out.ccr.peers("A") == [("B", pytest.approx(2 / 3))]
    assert out.ccr.peers("C") == [("B", pytest.approx(2.0))]
    np.testing.assert_allclose(inp.ccr.input_savings[:, 0], [1.0, 0.0, 2.0], atol=1e-9)
    np.testing.assert_allclose(out.ccr.output_gains[:, 0], [1.0, 0.0, 2.0], atol=1e-9)
    for view in (inp, out):
        np.testing.assert_allclose(view.bcc.efficiency, [1.0, 1.0, 1.0], rtol=1e-9)
        np.testing.assert_allclose(view.scale_efficiency, [0.5, 1.0, 2 / 3], rtol=1e-9)
        assert view.returns_to_scale == ("increasing", "constant", "decreasing")
    assert not inp.nirs_solved[0] and inp.nirs_solved[2]
    # the direct output-oriented CCR solve agrees with the one read off the input orientation
    direct = dea(x, y, model="ccr", orientation="output", dmu_ids=ids)
    np.testing.assert_allclose(direct.efficiency, out.ccr.efficiency, rtol=1e-9)


def _random(n: int, m: int, s: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.gamma(2.0, 10.0, (n, m)) + 1.0, rng.gamma(2.0, 10.0, (n, s)) + 1.0


def _naive_score(x: np.ndarray, y: np.ndarray, o: int, model: str, orientation: str) -> float:
    """Textbook envelopment LP over all DMUs, one linprog per DMU (no reference-set tricks)."""
    n, m = x.shape
    s = y.shape[1]
    if orientation == "input":  # min θ: Xλ ≤ θx_o, Yλ ≥ y_o
        a_ub = np.vstack([np.column_stack([-x[o], x.T]), np.column_stack([np.zeros(s), -y.T])])
        b_ub = np.concatenate([np.zeros(m), -y[o]])
        c = np.r_[1.0, np.zeros(n)]
    else:  # max η: Xλ ≤ x_o, Yλ ≥ ηy_o
        a_ub = np.vstack([np.column_stack([np.zeros(m), x.T]), np.column_stack([y[o], -y.T])])
        b_ub = np.concatenate([x[o], np.zeros(s)])
        c = np.r_[-1.0, np.zeros(n)]
    a_eq = np.r_[0.0, np.ones(n)][None, :] if model == "bcc" else None
    res = linprog(c, A_ub=a_ub, b_ub=b_ub, A_eq=a_eq, b_eq=[1.0] if model == "bcc" else None,
                  bounds=[(None, None)] + [(0, None)] * n, method="highs")
    assert res.status == 0
    return float(res.x[0]) if orientation == "input" else 1.0 / float(res.x[0])


@pytest.mark.parametrize("seed", [1, 2])
def test_properties_on_random_data(seed: int) -> None:
    x, y = _random(60, 3, 2, seed)
    views = dea_views(x, y)
    for orientation, view in views.items():
        for res in (view.ccr, view.bcc):
            # scores match the plain textbook programme solved over every DMU
            naive = [_naive_score(x, y, o, res.model, orientation) for o in range(len(x))]
            np.testing.assert_allclose(res.efficiency, naive, atol=1e-7)
            assert ((res.efficiency > 0) & (res.efficiency <= 1 + 1e-12)).all()
            eff = res.efficient()
            assert eff.any() and not eff.all()
            for o in np.flatnonzero(eff):  # an efficient DMU is its own (only) peer
                assert res.peers(int(o)) == [(res.dmu_ids[o], pytest.approx(1.0, abs=1e-7))]
            # the peers' λ rebuild the targets exactly
            lam = res.lambda_matrix()
            np.testing.assert_allclose(lam @ x, res.input_targets, rtol=1e-6, atol=1e-6)
            np.testing.assert_allclose(lam @ y, res.output_targets, rtol=1e-6, atol=1e-6)
            if res.model == "bcc":
                np.testing.assert_allclose(lam.sum(axis=1), 1.0, atol=1e-7)
            assert (res.input_savings >= 0).all() and (res.output_gains >= 0).all()
            # the targets are efficient when evaluated again
            again = dea(res.input_targets, res.output_targets, model=res.model, orientation=orientation)
            np.testing.assert_allclose(again.efficiency, 1.0, atol=1e-7)
            assert again.efficient().all()
        assert (view.ccr.efficiency <= view.bcc.efficiency + 1e-9).all()
        np.testing.assert_allclose(view.scale_efficiency, view.ccr.efficiency / view.bcc.efficiency)
        assert set(view.returns_to_scale) <= {"increasing", "constant", "decreasing"}
        constant = np.abs(view.scale_efficiency - 1) <= 1e-6
        assert [r == "constant" for r in view.returns_to_scale] == constant.tolist()


def _naive_max_slack(x: np.ndarray, y: np.ndarray, o: int, model: str, orientation: str, score: float) -> float:
    """Phase 2 over every DMU: max Σs⁻/x̄ + Σs⁺/ȳ (slacks relative to the column means) with the radial
    score fixed (θ = score, or η = 1/score)."""
    n, m = x.shape
    s = y.shape[1]
    a_eq = np.vstack([np.hstack([x.T, np.eye(m), np.zeros((m, s))]), np.hstack([y.T, np.zeros((s, m)), -np.eye(s)])])
    if orientation == "input":
        b_eq = np.concatenate([score * x[o], y[o]])
    else:
        b_eq = np.concatenate([x[o], y[o] / score])
    if model == "bcc":
        a_eq = np.vstack([a_eq, np.r_[np.ones(n), np.zeros(m + s)]])
        b_eq = np.append(b_eq, 1.0)
    weights = 1.0 / np.concatenate([x.mean(axis=0), y.mean(axis=0)])
    res = linprog(np.r_[np.zeros(n), -weights], A_eq=a_eq, b_eq=b_eq, bounds=(0, None), method="highs")
    assert res.status == 0
    return -float(res.fun)


@pytest.mark.parametrize(("model", "orientation"), [("ccr", "input"), ("ccr", "output"), ("bcc", "input"),
                                                    ("bcc", "output")])
def test_max_slacks_match_the_plain_phase_two(model: str, orientation: str) -> None:
    """The skipped phase 2 (dual proof of zero slacks) and the restricted reference sets lose nothing:
    the slack sums equal those of the plain max-slack programme over every DMU."""
    x, y = _random(40, 2, 2, 5)
    r = dea(x, y, model=model, orientation=orientation)
    ours = r.input_slacks @ (1 / x.mean(axis=0)) + r.output_slacks @ (1 / y.mean(axis=0))
    plain = [_naive_max_slack(x, y, o, model, orientation, float(r.efficiency[o])) for o in range(len(x))]
    np.testing.assert_allclose(ours, plain, atol=1e-6)
    assert (r.steps.max_slack_solved.sum() < len(x)) and np.max(plain) > 1e-3  # both paths are exercised


def test_returns_to_scale_against_a_plain_nirs_programme() -> None:
    """Färe–Grosskopf–Lovell: NIRS score (Σλ ≤ 1) equal to BCC → decreasing, else increasing; checked
    against the NIRS programme solved for every scale-inefficient DMU, without the Σλ shortcut."""
    x, y = _random(50, 2, 2, 7)
    view = dea_scale(x, y, orientation="input")
    n = len(x)
    for o in range(n):
        if view.returns_to_scale[o] == "constant":
            continue
        a_ub = np.vstack([np.column_stack([-x[o], x.T]), np.column_stack([np.zeros(2), -y.T]),
                          np.r_[0.0, np.ones(n)][None, :]])
        b_ub = np.concatenate([np.zeros(2), -y[o], [1.0]])
        res = linprog(np.r_[1.0, np.zeros(n)], A_ub=a_ub, b_ub=b_ub, bounds=[(None, None)] + [(0, None)] * n,
                      method="highs")
        nirs = float(res.x[0])
        expected = "decreasing" if abs(nirs - view.bcc.efficiency[o]) <= 1e-6 else "increasing"
        assert view.returns_to_scale[o] == expected, o
    assert {"increasing", "decreasing"} <= set(view.returns_to_scale)


def test_ccr_output_read_off_input_matches_direct_solve() -> None:
    x, y = _random(40, 2, 3, 11)
    direct = dea(x, y, model="ccr", orientation="output")
    derived = ccr_output_from_input(dea(x, y, model="ccr", orientation="input"))
    np.testing.assert_allclose(derived.efficiency, direct.efficiency, rtol=1e-9)
    wx, wy = 1 / x.mean(axis=0), 1 / y.mean(axis=0)  # the phase-2 objective: slacks relative to the means
    np.testing.assert_allclose(derived.input_slacks @ wx + derived.output_slacks @ wy,
                               direct.input_slacks @ wx + direct.output_slacks @ wy, atol=1e-6)
    with pytest.raises(MethodError):
        ccr_output_from_input(direct)


def test_units_do_not_change_the_result() -> None:
    """Columns in wildly different units (yuan next to persons) give the same scores, peers and slacks (in
    their own units): the max-slack objective is unit-free. With the plain slack sum this data made HiGHS
    fail (costs spanning 1e-3 to 1e10)."""
    x, y = _random(80, 2, 2, 3)
    x_units, y_units = np.array([1e9, 1e-3]), np.array([1e-4, 1e6])
    plain = dea_views(x, y)
    scaled = dea_views(x * x_units, y * y_units)
    for orientation in ("input", "output"):
        for a, b in ((plain[orientation].ccr, scaled[orientation].ccr), (plain[orientation].bcc, scaled[orientation].bcc)):
            np.testing.assert_allclose(b.efficiency, a.efficiency, rtol=1e-7)
            np.testing.assert_allclose(b.input_slacks / x_units, a.input_slacks, rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose(b.output_slacks / y_units, a.output_slacks, rtol=1e-5, atol=1e-6)
        assert plain[orientation].returns_to_scale == scaled[orientation].returns_to_scale


@pytest.mark.parametrize(("x", "y", "code", "field"), [
    ([[1.0], [np.nan]], [[1.0], [2.0]], "NOT_FINITE", "x1"),
    ([[1.0], [2.0]], [[1.0], [0.0]], "NON_POSITIVE_VALUE", "y1"),
    ([[1.0], [-2.0]], [[1.0], [2.0]], "NON_POSITIVE_VALUE", "x1"),
    ([[1.0], [2.0]], [[1.0], [2.0], [3.0]], "BAD_SHAPE", "outputs"),
    ([1.0, 2.0], [[1.0], [2.0]], "BAD_SHAPE", "inputs"),
    ([["a"], ["b"]], [[1.0], [2.0]], "INVALID_TYPE", "inputs"),
])
def test_bad_data_is_rejected_with_a_code(x: object, y: object, code: str, field: str) -> None:
    with pytest.raises(InputError) as err:
        dea(x, y)
    assert err.value.code == code
    assert err.value.field == field
    if code in ("NOT_FINITE", "NON_POSITIVE_VALUE"):
        assert err.value.incubator_id == "2"


def test_limits_ids_and_methods() -> None:
    x, y = np.ones((3, 1)), np.ones((3, 1))
    with pytest.raises(InputError) as err:
        dea(np.ones((3, 15)), np.ones((3, 6)))
    assert err.value.code == "TOO_LARGE"
    with pytest.raises(InputError) as err:
        dea(x, y, dmu_ids=["a", "a", "b"])
    assert err.value.code == "DUPLICATE_ID"
    with pytest.raises(InputError) as err:
        dea(x, y, dmu_ids=["a", "b"])
    assert err.value.code == "BAD_SHAPE"
    for kwargs in ({"model": "sbm"}, {"orientation": "both"}):
        with pytest.raises(MethodError) as merr:
            dea(x, y, **kwargs)
        assert merr.value.code == "UNKNOWN_METHOD"
    with pytest.raises(InputError) as err:
        dea(x, y).peers("nobody")
    assert err.value.code == "UNKNOWN_INCUBATOR"
    # identical DMUs are all efficient
    r = dea(x, y, model="bcc")
    assert r.efficient().all()


def _tiny_text() -> str:
    from .conftest import TINY_SCHEME

    return TINY_SCHEME.replace("POLICY", "impute").replace("SHARE", "0.5")


DEA_TABLE = """
[dea]
inputs = ["n", "b"]
outputs = ["a"]
model = "ccr"
orientation = "output"
"""


def test_scheme_dea_table_is_parsed_and_drives_the_view() -> None:
    from evaluation import load_scheme_text
    from evaluation.dea import dea_from_values

    scheme = load_scheme_text(_tiny_text() + DEA_TABLE)
    assert scheme.dea is not None
    assert (scheme.dea.inputs, scheme.dea.outputs, scheme.dea.model, scheme.dea.orientation) == (
        ("n", "b"), ("a",), "ccr", "output")
    assert load_scheme_text(_tiny_text()).dea is None
    # EG1 again, through the scheme's field ids: a = output, n and b = the two inputs
    values = {str(k + 1): {"a": row[0], "n": row[1], "b": row[2]} for k, row in enumerate(EG1)}
    view = dea_from_values(values, scheme.dea)["input"]
    np.testing.assert_allclose(view.ccr.efficiency, [0.500, 1.000, 0.833, 0.714, 1.000], atol=5e-4)
    assert view.ccr.input_names == ("n", "b")
    values["3"]["b"] = None
    with pytest.raises(InputError) as err:
        dea_from_values(values, scheme.dea)
    assert (err.value.code, err.value.incubator_id, err.value.field) == ("MISSING_VALUE", "3", "b")


@pytest.mark.parametrize(("table", "code", "field"), [
    ('[dea]\ninputs = ["n"]\noutputs = ["nope"]\n', "UNKNOWN_FIELD", "dea.outputs"),
    ('[dea]\ninputs = []\noutputs = ["a"]\n', "SCHEME_INVALID", "dea.inputs"),
    ('[dea]\ninputs = ["n"]\noutputs = ["n"]\n', "SCHEME_INVALID", "dea.outputs"),
    ('[dea]\ninputs = ["n"]\noutputs = ["a"]\nmodel = "sbm"\n', "SCHEME_INVALID", "dea.model"),
    ('[dea]\ninputs = ["n"]\noutputs = ["a"]\norientation = "both"\n', "SCHEME_INVALID", "dea.orientation"),
    ('[dea]\noutputs = ["a"]\n', "SCHEME_INVALID", "dea.inputs"),
    ('dea = 3\n', "SCHEME_INVALID", "dea"),
])
def test_scheme_dea_table_errors(table: str, code: str, field: str) -> None:
    from evaluation import SchemeError, load_scheme_text

    text = _tiny_text() + "\n" + table if table.startswith("[") else table + _tiny_text()
    with pytest.raises(SchemeError) as err:
        load_scheme_text(text)
    issues = [(i.code, i.field) for i in err.value.issues]
    assert any(i == (code, field) or (i[0] == code and i[1].startswith(field)) for i in issues), issues
    located = [i for i in err.value.issues if i.field.startswith(field)]
    assert all(i.line is not None for i in located)


def test_a_block_highs_cannot_solve_is_split_per_dmu(monkeypatch: pytest.MonkeyPatch) -> None:
    """If HiGHS fails on a call holding several DMUs, each DMU is solved alone (same answer); a DMU that
    fails alone is reported as SOLVER_FAILED."""
    from types import SimpleNamespace

    import evaluation.dea as dea_module
    from evaluation.errors import EvaluationError

    real = dea_module.linprog
    expected = dea(EG1[:, 1:], EG1[:, :1])

    def fails_on_blocks(c: np.ndarray, **kwargs: object) -> object:
        if c.size > 12:  # one EG1 programme has at most 4 + 5 columns
            return SimpleNamespace(status=4, message="forced failure")
        return real(c, **kwargs)

    monkeypatch.setattr(dea_module, "linprog", fails_on_blocks)
    again = dea(EG1[:, 1:], EG1[:, :1])
    np.testing.assert_allclose(again.efficiency, expected.efficiency, rtol=1e-9)
    np.testing.assert_allclose(again.input_slacks, expected.input_slacks, atol=1e-9)

    monkeypatch.setattr(dea_module, "linprog", lambda c, **kwargs: SimpleNamespace(status=4, message="forced"))
    with pytest.raises(EvaluationError) as err:
        dea(EG1[:, 1:], EG1[:, :1])
    assert err.value.code == "SOLVER_FAILED"
