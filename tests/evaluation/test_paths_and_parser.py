"""Property tests: the formula parser against a small reference evaluator written here, and the fast
scoring paths against the general ones on random inputs."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaluation.aggregate import aggregate, effective_weights
from evaluation.formula import FormulaSyntaxError, parse_formula
from evaluation.normalize import normalize
from evaluation.robustness import _effective, _hierarchical, _topsis_masked
from evaluation.weights import _unit_minmax, entropy, entropy_kernel

FIELDS = ("alpha", "beta", "gamma")
VALUES = {"alpha": (3.0, 1.5, 2.0, 0.5), "beta": (-2.0, 4.0, 1.0, 1.0), "gamma": (0.25, 8.0, 3.0, 2.0)}  # lag 0..3


# ----- reference expressions: a tree we build, render with minimal parentheses and evaluate ourselves ----
@dataclass(frozen=True)
class Lit:
    text: str


@dataclass(frozen=True)
class Var:
    name: str
    ttm: bool


@dataclass(frozen=True)
class Minus:
    operand: object


@dataclass(frozen=True)
class Bin:
    op: str
    left: object
    right: object


PREC = {"+": 1, "-": 1, "*": 2, "/": 2}


def prec(node: object) -> int:
    if isinstance(node, Bin):
        return PREC[node.op]
    return 3 if isinstance(node, Minus) else 4


def render(node: object, space: str) -> str:
    """Minimal parentheses: the parser must rebuild exactly this tree (left-associative binary operators,
    ``*``/``/`` above ``+``/``-``, unary minus above both)."""
    if isinstance(node, Lit):
        return node.text
    if isinstance(node, Var):
        return f"ttm({space}{node.name}{space})" if node.ttm else node.name
    if isinstance(node, Minus):
        inner = render(node.operand, space)
        return f"-({inner})" if isinstance(node.operand, Bin) else f"-{inner}"
    assert isinstance(node, Bin)
    left = render(node.left, space)
    right = render(node.right, space)
    if prec(node.left) < PREC[node.op]:
        left = f"({left})"
    if prec(node.right) <= PREC[node.op]:
        right = f"({right})"
    return f"{left}{space}{node.op}{space}{right}"


def reference(node: object) -> float:
    if isinstance(node, Lit):
        return float(node.text)
    if isinstance(node, Var):
        v = VALUES[node.name]
        return sum(v) if node.ttm else v[0]
    if isinstance(node, Minus):
        return -reference(node.operand)
    assert isinstance(node, Bin)
    a, b = reference(node.left), reference(node.right)
    if node.op == "+":
        return a + b
    if node.op == "-":
        return a - b
    if node.op == "*":
        return a * b
    if b == 0:
        raise ZeroDivisionError
    return a / b


numbers = st.one_of(
    st.integers(0, 999).map(str),                                                     # 7
    st.integers(0, 99).map(lambda k: f"{k}."),                                        # 7.
    st.integers(0, 99).map(lambda d: f".{d}"),                                        # .5
    st.tuples(st.integers(0, 99), st.integers(0, 99)).map(lambda t: f"{t[0]}.{t[1]}"),  # 2.25
    st.tuples(st.integers(1, 9), st.integers(0, 3)).map(lambda t: f"{t[0]}e{t[1]}"),   # 3e2
    st.tuples(st.integers(1, 9), st.integers(0, 9), st.integers(0, 3)).map(lambda t: f"{t[0]}.{t[1]}E-{t[2]}"),
).map(Lit)
leaves = st.one_of(numbers, st.builds(Var, st.sampled_from(FIELDS), st.booleans()))
trees = st.recursive(leaves, lambda kids: st.one_of(
    st.builds(Minus, kids), st.builds(Bin, st.sampled_from("+-*/"), kids, kids)), max_leaves=12)


def lookup(field: str, lag: int) -> np.ndarray:
    return np.array([VALUES[field][lag]])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees, space=st.sampled_from(["", " ", "  "]))
def test_the_parser_agrees_with_the_reference_evaluator(tree: object, space: str) -> None:
    try:
        expected = reference(tree)
    except ZeroDivisionError:
        expected = None
    assume(expected is None or math.isfinite(expected))
    formula = parse_formula(render(tree, space))
    values, zero, _ = formula.evaluate(lookup, 1)
    if expected is None:
        assert zero[0] or math.isnan(values[0])
    else:
        assert not zero[0]
        assert values[0] == pytest.approx(expected, rel=1e-9, abs=1e-12)


def test_precedence_associativity_and_unary_minus_by_hand() -> None:
    """alpha = 3, beta = −2, gamma = 0.25 (lag 0); ttm(alpha) = 3 + 1.5 + 2 + 0.5 = 7."""
    cases = {"alpha - beta - gamma": 3 + 2 - 0.25, "alpha / beta / gamma": 3 / -2 / 0.25,
             "alpha + beta * gamma": 3 + -2 * 0.25, "-alpha * beta": 6.0, "--alpha": 3.0, "alpha - -beta": 1.0,
             "2 * ttm(alpha) / 10": 1.4, "1e1 * .5 + 2.": 7.0, "(alpha - beta) * 2.5E-1": 1.25}
    for text, expected in cases.items():
        assert parse_formula(text).evaluate(lookup, 1)[0][0] == pytest.approx(expected), text


@pytest.mark.parametrize("text", ["alpha +", "(alpha", "ttm(2)", "ttm(ttm(alpha))", "alpha $ beta", "alpha beta", ""])
def test_bad_formulas_are_refused_with_a_position(text: str) -> None:
    with pytest.raises(FormulaSyntaxError) as caught:
        parse_formula(text)
    assert caught.value.position >= 0


# ----- fast paths equal the general paths ----------------------------------------------------------------
matrix_shapes = st.tuples(st.integers(2, 9), st.integers(2, 6), st.integers(0, 2**31 - 1))


def _random(shape: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int]:
    n, m, seed = shape
    rng = np.random.default_rng(seed)
    x = rng.gamma(2.0, 3.0, size=(n, m)) * (rng.random((n, m)) > 0.1)
    cost = rng.random(m) < 0.3
    w = rng.dirichlet(np.ones(m))
    d = rng.integers(0, 3, size=m)
    d[:3 if m >= 3 else m] = np.arange(min(3, m))
    return x, cost, w, d.astype(np.intp), int(d.max()) + 1


@settings(max_examples=80, deadline=None)
@given(shape=matrix_shapes)
def test_fast_entropy_equals_the_general_kernel(shape) -> None:
    x, cost, *_ = _random(shape)
    fast = entropy(x, cost).weights
    general, _, _ = entropy_kernel(_unit_minmax(x, cost))
    np.testing.assert_allclose(fast, general, rtol=1e-10, atol=1e-12)


@settings(max_examples=80, deadline=None)
@given(shape=matrix_shapes, method=st.sampled_from(["minmax", "zscore", "vector", "target"]))
def test_normalisation_without_gaps_equals_the_path_with_gaps(shape, method) -> None:
    """A row nobody reported (NaN) sends the kernels down their general path; the others are unchanged."""
    x, cost, *_ = _random(shape)
    thr = np.full(x.shape[1], 5.0)
    fast = normalize(x, method, cost, thr).values
    general = normalize(np.vstack([x, np.full(x.shape[1], np.nan)]), method, cost, thr).values[:-1]
    np.testing.assert_allclose(fast, general, rtol=1e-10, atol=1e-9)


@settings(max_examples=80, deadline=None)
@given(shape=matrix_shapes, method=st.sampled_from(["arithmetic", "geometric", "topsis"]),
       ideal=st.sampled_from(["cohort", "fixed"]))
def test_unmasked_aggregation_equals_the_masked_path(shape, method, ideal) -> None:
    x, _, w, d, nd = _random(shape)
    v = np.clip(x * 10, 0, 100)
    fast = aggregate(v, w, d, nd, method, None, ideal=ideal)
    general = aggregate(v, w, d, nd, method, np.ones(v.shape, dtype=bool), ideal=ideal)
    np.testing.assert_allclose(fast.composite, general.composite, rtol=1e-10, atol=1e-9)
    np.testing.assert_allclose(fast.dimension_scores, general.dimension_scores, rtol=1e-10, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(shape=matrix_shapes, draws=st.integers(1, 5))
def test_vectorised_robustness_weights_equal_the_headline_kernel(shape, draws) -> None:
    x, _, _, d, nd = _random(shape)
    rng = np.random.default_rng(shape[2])
    mask = rng.random(x.shape) > 0.3
    wc = rng.dirichlet(np.ones(x.shape[1]), size=draws)
    oh = np.zeros((x.shape[1], nd))
    oh[np.arange(x.shape[1]), d] = 1.0
    v = np.clip(x * 10, 0, 100)
    sums = _hierarchical(wc, mask.astype(float), oh, d, v)
    eff = _effective(wc, mask.astype(float), oh, d)
    for k in range(draws):
        e, _, _ = effective_weights(wc[k], mask, d, nd)
        np.testing.assert_allclose(eff[k], e, rtol=1e-10, atol=1e-12)
        head = aggregate(v, wc[k], d, nd, "arithmetic", mask)
        np.testing.assert_allclose(sums[:, k], head.composite, rtol=1e-10, atol=1e-9)


@settings(max_examples=60, deadline=None)
@given(shape=matrix_shapes, draws=st.integers(1, 4))
def test_vectorised_robustness_topsis_equals_the_headline_kernel(shape, draws) -> None:
    """Complete rows with the weights as drawn, rows with exclusions through per-draw effective weights:
    both equal TOPSIS with cohort ideals computed by the engine's own aggregation."""
    x, _, _, d, nd = _random(shape)
    rng = np.random.default_rng(shape[2] + 1)
    mask = np.ones(x.shape, dtype=bool)
    mask[0, 0] = False
    mask[1:] &= rng.random((x.shape[0] - 1, x.shape[1])) > 0.2
    wc = rng.dirichlet(np.ones(x.shape[1]), size=draws)
    oh = np.zeros((x.shape[1], nd))
    oh[np.arange(x.shape[1]), d] = 1.0
    v = np.where(mask, np.clip(x * 10, 0, 100), 0.0)
    got = _topsis_masked(v, wc, mask.astype(float), mask, oh, d, ~mask.all(axis=1))
    for k in range(draws):
        head = aggregate(v, wc[k], d, nd, "topsis", mask)
        np.testing.assert_allclose(got[:, k] * 100, head.composite, rtol=1e-10, atol=1e-9)
