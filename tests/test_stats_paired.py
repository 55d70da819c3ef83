"""evalkit.stats (paired statistics of `evalkit report`) on synthetic data where the truth is known: size under the null, CI coverage, power."""

from __future__ import annotations

import math

import numpy as np
import pytest

from evalkit.stats import bootstrap_mean_ci, holm, pearson, permutation_test, rng_for, sign_test, spearman

SIMS = 1000


def test_permutation_test_rejects_at_nominal_rate_under_the_null() -> None:
    rng = np.random.default_rng(1)
    n = 40
    # Paired, identically distributed: a shared per-example difficulty plus exchangeable noise, clipped to [0, 1].
    difficulty = rng.uniform(0.2, 0.8, size=(n, SIMS))
    base = np.clip(difficulty + rng.normal(0, 0.15, size=(n, SIMS)), 0, 1)
    cand = np.clip(difficulty + rng.normal(0, 0.15, size=(n, SIMS)), 0, 1)
    p = permutation_test(cand - base, rng=rng_for(0, "null"), resamples=400)
    assert p.shape == (SIMS,)
    rate = float((p < 0.05).mean())
    assert 0.03 <= rate <= 0.07, rate


def test_permutation_test_on_discrete_judge_scores_is_not_anticonservative() -> None:
    rng = np.random.default_rng(2)
    levels = np.array([0.0, 0.25, 0.5, 0.75, 1.0])
    base = levels[rng.integers(0, 5, size=(30, SIMS))]
    cand = levels[rng.integers(0, 5, size=(30, SIMS))]
    p = permutation_test(cand - base, rng=rng_for(0, "discrete"), resamples=400)
    assert 0.02 <= float((p < 0.05).mean()) <= 0.07


@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_bootstrap_ci_covers_the_true_mean_about_95_percent(method: str) -> None:
    rng = np.random.default_rng(3)
    a, b = 2.0, 5.0  # skewed scores in [0, 1]
    true_mean = a / (a + b)
    samples = rng.beta(a, b, size=(60, SIMS))
    ci = bootstrap_mean_ci(samples, rng=rng_for(0, "coverage", method), resamples=500, method=method)  # type: ignore[arg-type]
    covered = float(((ci.low <= true_mean) & (true_mean <= ci.high)).mean())
    assert 0.915 <= covered <= 0.975, covered
    assert np.allclose(ci.mean, samples.mean(axis=0))


def test_paired_bootstrap_ci_of_differences_covers_the_planted_delta() -> None:
    rng = np.random.default_rng(4)
    n = 80
    difficulty = rng.uniform(0, 1, size=(n, SIMS))
    base = difficulty + rng.normal(0, 0.1, size=(n, SIMS))
    cand = difficulty + 0.03 + rng.normal(0, 0.1, size=(n, SIMS))
    ci = bootstrap_mean_ci(cand - base, rng=rng_for(0, "delta"), resamples=500)
    covered = float(((ci.low <= 0.03) & (ci.high >= 0.03)).mean())
    assert 0.915 <= covered <= 0.975, covered


def test_a_planted_difference_is_detected() -> None:
    rng = np.random.default_rng(5)
    n = 100
    difficulty = rng.uniform(0.2, 0.7, size=n)
    base = difficulty + rng.normal(0, 0.1, size=n)
    cand = difficulty + 0.08 + rng.normal(0, 0.1, size=n)
    d = cand - base
    p = permutation_test(d, rng=rng_for(0, "planted"), resamples=5000)
    assert p.shape == (1,) and p[0] < 0.001
    ci = bootstrap_mean_ci(d, rng=rng_for(0, "planted-ci"), resamples=2000)
    assert 0.0 < ci.low[0] < 0.08 < ci.high[0]
    wins, losses = int((d > 0).sum()), int((d < 0).sum())
    assert sign_test(wins, losses) < 0.001


def test_power_against_a_moderate_effect_is_high() -> None:
    rng = np.random.default_rng(6)
    d = rng.normal(0.05, 0.1, size=(60, 300))  # effect size 0.5 with n=60: power well above 0.9
    p = permutation_test(d, rng=rng_for(0, "power"), resamples=300)
    assert float((p < 0.05).mean()) > 0.9


def test_unscored_values_are_excluded_not_counted_as_zero() -> None:
    values = np.array([[1.0, 0.5], [np.nan, 0.5], [0.0, np.nan], [1.0, np.nan]])
    ci = bootstrap_mean_ci(values, rng=rng_for(0, "nan"), resamples=200)
    assert ci.n.tolist() == [3, 2]
    assert ci.mean[0] == pytest.approx(2 / 3)
    assert ci.mean[1] == 0.5 and ci.low[1] == 0.5 and ci.high[1] == 0.5  # constant column: zero-width CI
    assert 0.0 <= ci.low[0] <= ci.mean[0] <= ci.high[0] <= 1.0
    p = permutation_test(np.array([[np.nan], [np.nan]]), rng=rng_for(0, "empty"), resamples=10)
    assert math.isnan(p[0])


def test_results_depend_only_on_seed_and_key() -> None:
    d = np.random.default_rng(7).normal(0.02, 0.2, size=50)
    first = permutation_test(d, rng=rng_for(3, "total"), resamples=999)
    assert permutation_test(d, rng=rng_for(3, "total"), resamples=999)[0] == first[0]
    a = bootstrap_mean_ci(d, rng=rng_for(3, "x"), resamples=500)
    b = bootstrap_mean_ci(d, rng=rng_for(3, "x"), resamples=500)
    assert (a.low[0], a.high[0]) == (b.low[0], b.high[0])
    c = bootstrap_mean_ci(d, rng=rng_for(4, "x"), resamples=500)
    assert (a.low[0], a.high[0]) != (c.low[0], c.high[0])


def test_sign_test_exact_values() -> None:
    assert sign_test(9, 1) == pytest.approx(2 * 11 / 1024)
    assert sign_test(5, 5) == 1.0
    assert sign_test(0, 0) == 1.0
    assert sign_test(0, 20) == pytest.approx(2 / 2**20)
    assert sign_test(600, 400) < 1e-9  # large n stays finite (log-space pmf)


def test_holm_adjustment() -> None:
    adjusted = holm(np.array([0.01, 0.04, 0.03, np.nan]))
    assert adjusted[:3] == pytest.approx([0.03, 0.06, 0.06])
    assert math.isnan(adjusted[3])
    assert holm(np.array([0.02, 0.9])).tolist() == [0.04, 0.9]


def test_correlations() -> None:
    x = np.array([1.0, 2.0, 3.0, 4.0, 5.0, np.nan])
    assert spearman(x, x**3) == pytest.approx(1.0)
    assert pearson(x, -2 * x) == pytest.approx(-1.0)
    # Ties get average ranks: ranks of [1, 2, 2, 3] are [1, 2.5, 2.5, 4].
    assert spearman(np.array([1, 2, 2, 3]), np.array([1, 2, 3, 4])) == pytest.approx(pearson(np.array([1, 2.5, 2.5, 4]), np.arange(1, 5)))
    assert math.isnan(pearson(np.ones(5), np.arange(5)))


@pytest.mark.filterwarnings("error")
@pytest.mark.parametrize("method", ["bca", "percentile"])
def test_degenerate_columns_give_nan_or_zero_width_without_warnings(method: str) -> None:
    values = np.array([[1.0, np.nan, np.nan], [np.nan, np.nan, 0.5], [0.0, np.nan, np.nan]])
    ci = bootstrap_mean_ci(values, rng=rng_for(0, "degenerate"), resamples=200, method=method)  # type: ignore[arg-type]
    assert ci.n.tolist() == [2, 0, 1]
    assert math.isnan(ci.mean[1]) and math.isnan(ci.low[1]) and math.isnan(ci.high[1])
    assert (ci.low[2], ci.high[2]) == (0.5, 0.5)
    assert 0.0 <= ci.low[0] <= 0.5 <= ci.high[0] <= 1.0
    empty = bootstrap_mean_ci(np.zeros((0, 2)), rng=rng_for(0, "empty"), resamples=200, method=method)  # type: ignore[arg-type]
    assert np.isnan(empty.mean).all() and empty.n.tolist() == [0, 0]
