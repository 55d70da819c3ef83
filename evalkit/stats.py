"""Paired statistics for comparing models on the same examples, vectorised with numpy (no scipy).

    bootstrap_mean_ci   mean of each column with a 95% BCa (default) or percentile bootstrap CI; NaN = unscored
    permutation_test    paired sign-flip randomisation test of mean(d) == 0, one p-value per column
    sign_test           exact two-sided binomial test on wins vs losses (ties dropped)
    holm                Holm step-down adjustment of a family of p-values
    pearson, spearman   correlations that ignore pairs with a NaN

Every function takes its random generator from the caller, so a report is reproducible from one --seed.
Inputs are `(n,)` or `(n, k)` arrays: n examples (resampled together, which keeps the pairing) and k columns
(criteria, or simulated data sets) that are processed in one matrix product.
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from statistics import NormalDist
from typing import Literal

import numpy as np

__all__ = [
    "MeanCI",
    "bootstrap_mean_ci",
    "holm",
    "pearson",
    "permutation_test",
    "rng_for",
    "sign_test",
    "spearman",
]

CIMethod = Literal["bca", "percentile"]
_NORMAL = NormalDist()
_CHUNK_CELLS = 4_000_000  # resample-weight cells per matrix product: bounds memory at ~32 MB whatever n is


def rng_for(seed: int, *key: str) -> np.random.Generator:
    """A generator that depends on the seed and a stable key, not on how many draws came before it.

    Adding a model or a criterion to a report then leaves the other numbers unchanged.
    """
    words = [zlib.crc32(k.encode()) for k in key]
    return np.random.default_rng([seed & 0xFFFFFFFF, *words])


@dataclass(frozen=True, slots=True)
class MeanCI:
    """Per column: the mean of the non-NaN values, its CI bounds and how many values it rests on."""

    mean: np.ndarray
    low: np.ndarray
    high: np.ndarray
    n: np.ndarray


def _as_2d(x: np.ndarray) -> tuple[np.ndarray, bool]:
    arr = np.asarray(x, dtype=float)
    if arr.ndim == 1:
        return arr[:, None], True
    return arr, False


def _bootstrap_means(values: np.ndarray, mask: np.ndarray, resamples: int, rng: np.random.Generator) -> np.ndarray:
    """(resamples, k) means of resampled rows. A resample is a count per row, so one matmul does all k columns."""
    n, k = values.shape
    out = np.empty((resamples, k))
    both = np.hstack([values, mask])  # one product gives the sums and the counts
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        b = stop - start
        # Row i of `weights` counts how often each example was drawn in resample i (n draws with replacement):
        # one flat bincount over offset indices, much faster than a multinomial draw per resample.
        draws = rng.integers(0, n, size=(b, n), dtype=np.int32) + (np.arange(b, dtype=np.int32) * n)[:, None]
        weights = np.bincount(draws.ravel(), minlength=b * n).reshape(b, n).astype(float)
        sums = weights @ both
        with np.errstate(invalid="ignore", divide="ignore"):
            out[start:stop] = sums[:, :k] / sums[:, k:]
    return out


def _jackknife_acceleration(values: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """BCa acceleration per column from closed-form leave-one-out means (only scored rows count; 0 below 2 rows)."""
    count = mask.sum(axis=0)
    with np.errstate(all="ignore"):
        loo = np.where(mask > 0, (values.sum(axis=0) - values) / (count - 1), 0.0)
        d = (((loo * mask).sum(axis=0) / count) - loo) * mask
        num = (d**3).sum(axis=0)
        den = 6.0 * (d**2).sum(axis=0) ** 1.5
        a = np.where((count >= 2) & (den > 0), num / den, 0.0)
    return np.nan_to_num(a)


def _bca_levels(boot: np.ndarray, theta: np.ndarray, accel: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """The percentiles (in [0, 1]) that BCa reads off the bootstrap distribution, per column."""
    valid = np.isfinite(boot)
    b = valid.sum(axis=0)
    below = ((boot < theta) & valid).sum(axis=0) + 0.5 * ((boot == theta) & valid).sum(axis=0)
    # Keep the bias correction finite: a share of exactly 0 or 1 would put z0 at infinity.
    prop = np.where(b > 0, np.clip(below / np.maximum(b, 1), 1.0 / (b + 1), b / (b + 1.0)), 0.5)
    z0 = np.array([_NORMAL.inv_cdf(float(p)) for p in prop])
    bounds = []
    for alpha in ((1 - level) / 2, (1 + level) / 2):
        z = _NORMAL.inv_cdf(alpha)
        adj = z0 + (z0 + z) / (1 - accel * (z0 + z))
        bounds.append(np.array([_NORMAL.cdf(float(v)) if math.isfinite(v) else alpha for v in adj]))
    return bounds[0], bounds[1]


def bootstrap_mean_ci(
    values: np.ndarray,
    *,
    rng: np.random.Generator,
    resamples: int = 2000,
    level: float = 0.95,
    method: CIMethod = "bca",
) -> MeanCI:
    """Mean of each column (NaN = unscored, excluded) with a bootstrap CI over rows.

    Rows are resampled together, so for paired differences (candidate - baseline per example) this is the
    paired bootstrap. BCa corrects the percentile interval for bias and skew, which matters for scores bounded
    in [0, 1] with means near an end; `percentile` is the plain interval. Columns with no scored value give NaN;
    columns whose values are all equal give a zero-width interval.
    """
    vals, _ = _as_2d(values)
    mask = np.isfinite(vals)
    filled = np.where(mask, vals, 0.0)
    maskf = mask.astype(float)
    count = mask.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        theta = filled.sum(axis=0) / count
    k = vals.shape[1]
    low = np.full(k, np.nan)
    high = np.full(k, np.nan)
    if vals.shape[0] > 0 and count.any():
        boot = _bootstrap_means(filled, maskf, resamples, rng)
        if method == "bca":
            q_low, q_high = _bca_levels(boot, theta, _jackknife_acceleration(filled, maskf), level)
        else:
            q_low = np.full(k, (1 - level) / 2)
            q_high = np.full(k, (1 + level) / 2)
        for j in range(k):
            col = boot[:, j]
            col = col[np.isfinite(col)]
            if count[j] == 0 or col.size == 0:
                continue
            if np.all(col == col[0]):
                low[j] = high[j] = theta[j]
                continue
            low[j], high[j] = np.quantile(col, [q_low[j], q_high[j]])
    return MeanCI(mean=theta, low=low, high=high, n=count)


def permutation_test(diffs: np.ndarray, *, rng: np.random.Generator, resamples: int = 10000) -> np.ndarray:
    """Two-sided paired randomisation test that the mean difference is 0, per column (NaN pairs are dropped).

    Under the null the two answers to an example are exchangeable, so each difference is as likely to have
    either sign. Random sign flips (shared by all columns; the test is valid for each) give the null
    distribution of the mean; p = (1 + #{|flipped mean| >= |observed mean|}) / (1 + resamples), which is never 0.
    A zero difference contributes nothing under any flip, so NaN pairs become zeros and the mean divides by
    each column's own count.
    """
    d, squeeze = _as_2d(diffs)
    mask = np.isfinite(d)
    filled = np.where(mask, d, 0.0)
    count = mask.sum(axis=0)
    observed = np.abs(filled.sum(axis=0))
    n = d.shape[0]
    exceed = np.zeros(d.shape[1])
    chunk = max(1, _CHUNK_CELLS // max(n, 1))
    # Sums are compared instead of means (same count on both sides); the tolerance keeps exact ties as ties.
    tol = 1e-9 * np.maximum(1.0, observed)
    for start in range(0, resamples, chunk):
        stop = min(resamples, start + chunk)
        bits = np.unpackbits(np.frombuffer(rng.bytes((stop - start) * n // 8 + 1), dtype=np.uint8))[: (stop - start) * n]
        signs = bits.reshape(stop - start, n).astype(float) * 2 - 1
        flipped = np.abs(signs @ filled)
        exceed += (flipped >= observed - tol).sum(axis=0)
    p = (1 + exceed) / (1 + resamples)
    p = np.where(count > 0, p, np.nan)
    return p[:1] if squeeze else p


def sign_test(wins: int, losses: int) -> float:
    """Exact two-sided binomial p-value for wins vs losses at probability 1/2 (ties are not counted)."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    i = np.arange(k + 1)
    log_pmf = np.array([math.lgamma(n + 1) - math.lgamma(j + 1) - math.lgamma(n - j + 1) for j in i]) - n * math.log(2)
    tail = float(np.exp(log_pmf).sum())
    return min(1.0, 2.0 * tail)


def holm(pvalues: np.ndarray) -> np.ndarray:
    """Holm step-down adjusted p-values (family-wise error control), in the input order; NaN stays NaN."""
    p = np.asarray(pvalues, dtype=float)
    out = np.full(p.shape, np.nan)
    ok = np.flatnonzero(np.isfinite(p))
    if ok.size == 0:
        return out
    order = ok[np.argsort(p[ok], kind="stable")]
    m = order.size
    scaled = np.minimum(1.0, (m - np.arange(m)) * p[order])
    out[order] = np.maximum.accumulate(scaled)
    return out


def _paired_finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    xa = np.asarray(x, dtype=float)
    ya = np.asarray(y, dtype=float)
    keep = np.isfinite(xa) & np.isfinite(ya)
    return xa[keep], ya[keep]


def pearson(x: np.ndarray, y: np.ndarray) -> float:
    """Pearson correlation over pairs where both are finite; NaN when either side is constant or n < 3."""
    xa, ya = _paired_finite(x, y)
    if xa.size < 3:
        return math.nan
    xc = xa - xa.mean()
    yc = ya - ya.mean()
    den = math.sqrt(float((xc**2).sum()) * float((yc**2).sum()))
    return float((xc * yc).sum()) / den if den > 0 else math.nan


def _rank(x: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties given their average rank."""
    order = np.argsort(x, kind="stable")
    sorted_x = x[order]
    starts = np.r_[True, sorted_x[1:] != sorted_x[:-1]]
    group = np.cumsum(starts) - 1
    first = np.flatnonzero(starts)
    sizes = np.diff(np.r_[first, x.size])
    avg = first + (sizes + 1) / 2.0
    ranks = np.empty(x.size)
    ranks[order] = avg[group]
    return ranks


def spearman(x: np.ndarray, y: np.ndarray) -> float:
    """Spearman rank correlation (Pearson on average ranks) over pairs where both are finite."""
    xa, ya = _paired_finite(x, y)
    if xa.size < 3:
        return math.nan
    return pearson(_rank(xa), _rank(ya))
