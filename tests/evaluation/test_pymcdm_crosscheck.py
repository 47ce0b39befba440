"""Cross-check against pymcdm (an independent implementation; test-only dependency)."""

from __future__ import annotations

import numpy as np
import pytest
from pymcdm import normalizations
from pymcdm.methods import TOPSIS
from pymcdm.weights import critic_weights, entropy_weights

from evaluation import MethodSpec, evaluate_matrix
from evaluation.weights import critic, entropy_kernel


@pytest.mark.parametrize("seed", range(5))
def test_topsis_equals_pymcdm_with_vector_normalisation(seed: int) -> None:
    # pymcdm's TOPSIS defaults to min–max: pass vector normalisation to get the textbook method.
    rng = np.random.default_rng(seed)
    x = rng.uniform(1, 100, size=(30, 8))
    w = rng.dirichlet(np.ones(8))
    types = np.where(rng.random(8) < 0.3, -1, 1)
    ref = TOPSIS(normalizations.vector_normalization)(x, w, types)
    ours = evaluate_matrix(x, weights=w, cost=types == -1,
                           method=MethodSpec(normalization="vector", aggregation="topsis"))
    np.testing.assert_allclose(ours.composite / 100, ref, atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_topsis_minmax_equals_pymcdm_default(seed: int) -> None:
    rng = np.random.default_rng(100 + seed)
    x = rng.uniform(1, 100, size=(25, 6))
    w = rng.dirichlet(np.ones(6))
    types = np.ones(6, dtype=int)
    ref = TOPSIS()(x, w, types)
    ours = evaluate_matrix(x, weights=w, method=MethodSpec(normalization="minmax", aggregation="topsis"))
    np.testing.assert_allclose(ours.composite / 100, ref, atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_entropy_kernel_equals_pymcdm_on_positive_data(seed: int) -> None:
    # pymcdm's entropy works on sum-normalised raw data and breaks on zeros: compare our kernel on
    # strictly positive data (the engine then applies it to min–max data, our pinned variant).
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.5, 50, size=(40, 7))
    w, _, _ = entropy_kernel(x)
    np.testing.assert_allclose(w, entropy_weights(x), atol=1e-10)


@pytest.mark.parametrize("seed", range(3))
def test_critic_equals_pymcdm(seed: int) -> None:
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 10, size=(40, 5))
    ours = critic(x, np.zeros(5, dtype=bool)).weights
    np.testing.assert_allclose(ours, critic_weights(x), atol=1e-10)
