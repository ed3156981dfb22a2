"""The statistics of the surge models (重点区域, 重点领域): a baseline per series with its own
uncertainty, over-dispersion estimated from the history of all series, a negative-binomial upper
tail, and Benjamini–Hochberg control of the false discoveries across the series tested together.

Pure functions over NumPy arrays (scipy.stats for the distribution), so each step can be checked by
hand in the tests.

- **Baseline.** ``history`` holds the counts of the K weeks before the current one (most recent first);
  the expected count is their exponentially weighted mean μ = Σ wᵢ xᵢ (weights (1 − α)ⁱ, normalised),
  times a seasonal factor where one is known.
- **Over-dispersion.** Real weekly counts vary more than Poisson. Per series the Pearson statistic
  D = Σ (xᵢ − x̄)² / x̄ / (K − 1) is about 1 under Poisson; φ is the median of D over the series with
  x̄ ≥ 1, divided by the median of χ²(K − 1)/(K − 1) (so φ ≈ 1 for Poisson counts, and one surging
  series does not move it), never below 1 and at most 10.
- **Predictive distribution.** The current count X has mean μ and variance φ·μ·(1 + Σ wᵢ²): the
  process variance plus the variance of the estimated baseline. X is tested against the negative
  binomial with that mean and variance (with φ = 1 and equal weights this is exactly the Gamma–Poisson
  predictive of a Poisson rate estimated from K weeks). A seasonal factor estimated from last year's
  counts adds its own variance (μ² times its relative variance). The p-value is P(X ≥ observed).
- **Multiple testing.** A county has hundreds of town × type series and the engine runs many times a
  week: the p-values of all series of one run are adjusted by Benjamini–Hochberg and a series is
  significant when its adjusted value (q) is at most the model's false discovery rate.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import chi2, nbinom

FloatArray = np.ndarray[Any, np.dtype[np.float64]]

MIN_MEAN = 0.1  # a series with no history still has a small expected count
MAX_PHI = 10.0


def weights(k: int, alpha: float) -> FloatArray:
    """EWMA weights of the K history weeks (most recent first), summing to 1."""
    w = (1.0 - alpha) ** np.arange(k, dtype=float)
    return w / w.sum()  # type: ignore[no-any-return]


def dispersion(history: FloatArray) -> float:
    """φ: the scaled median Pearson dispersion of the series (rows) of ``history`` with mean ≥ 1."""
    h = np.asarray(history, dtype=float)
    if h.ndim != 2 or h.shape[1] < 2:
        return 1.0
    k = h.shape[1]
    mean = h.mean(axis=1)
    ok = mean >= 1.0
    if ok.sum() < 3:
        return 1.0
    d = ((h[ok] - mean[ok, None]) ** 2).sum(axis=1) / mean[ok] / (k - 1)
    phi = float(np.median(d)) / (chi2.median(k - 1) / (k - 1))
    return float(min(MAX_PHI, max(1.0, phi)))


def upper_tail(count: FloatArray, mean: FloatArray, variance: FloatArray) -> FloatArray:
    """P(X ≥ count) for X negative binomial with the given mean and variance (variance > mean)."""
    c = np.asarray(count, dtype=float)
    m = np.maximum(np.asarray(mean, dtype=float), MIN_MEAN)
    v = np.maximum(np.asarray(variance, dtype=float), m * (1 + 1e-9))
    n = m * m / (v - m)
    p = m / v
    return np.where(c <= 0, 1.0, nbinom.sf(c - 1, n, p))  # type: ignore[no-any-return]


def benjamini_hochberg(p: FloatArray) -> FloatArray:
    """Benjamini–Hochberg adjusted p-values (q-values), in the order given."""
    p = np.asarray(p, dtype=float)
    m = p.size
    if not m:
        return p
    order = np.argsort(p)
    ranked = p[order] * m / np.arange(1, m + 1)
    q = np.minimum.accumulate(ranked[::-1])[::-1]
    out = np.empty(m)
    out[order] = np.minimum(q, 1.0)
    return out


def surge_tests(
    counts: FloatArray, alpha: float, season: FloatArray | None = None, season_var: FloatArray | None = None
) -> tuple[FloatArray, FloatArray, FloatArray, float]:
    """For series (rows) of weekly counts, bin 0 = the current week and bins 1..K its history:
    (expected, p-value, BH q-value, φ) per series. ``season`` multiplies the baseline; ``season_var``
    is the relative variance of that factor (it adds μ²·season_var to the variance)."""
    c = np.asarray(counts, dtype=float)
    if c.ndim != 2 or not c.shape[0]:
        empty = np.zeros(0)
        return empty, empty, empty, 1.0
    now, history = c[:, 0], c[:, 1:]
    w = weights(history.shape[1], alpha)
    expected = history @ w
    if season is not None:
        expected = expected * np.asarray(season, dtype=float)
    phi = dispersion(history)
    expected = np.maximum(expected, MIN_MEAN)
    variance = phi * expected * (1.0 + float((w * w).sum()))
    if season_var is not None:
        variance = variance + expected * expected * np.asarray(season_var, dtype=float)
    p = upper_tail(now, expected, variance)
    return expected, p, benjamini_hochberg(p), phi
