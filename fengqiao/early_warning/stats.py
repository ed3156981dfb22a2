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
- **Two windows.** A surge that began a day ago is diluted by six ordinary days in a 7-day count, so
  each series is also tested on its last few days (mean = that share of the weekly baseline, the
  baseline's variance scaled by the share squared); its p-value is twice the smaller of the two.
- **Multiple testing.** A county has hundreds of town × type series and the engine runs many times a
  week: the p-values of all series of one run are adjusted by Benjamini–Hochberg and a series is
  significant when its adjusted value (q) is at most the model's false discovery rate.
"""

from __future__ import annotations

from dataclasses import dataclass
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


@dataclass
class SurgeTests:
    """Per series: the week's count and expected count, the short window's, their p-values, the
    combined p-value (the smaller of the two, doubled), its BH q-value; φ for all series."""

    count: FloatArray
    expected: FloatArray
    p_week: FloatArray
    short_count: FloatArray
    short_expected: FloatArray
    p_short: FloatArray
    p: FloatArray
    q: FloatArray
    phi: float


def _tail(
    now: FloatArray, expected: FloatArray, share: float, phi: float, w2: float, season_var: FloatArray
) -> FloatArray:
    """P(X ≥ now) where X is the count of a window holding ``share`` of a week: mean μ = share ×
    expected, variance φ·μ·(1 + share·Σw²) + μ²·season_var (the baseline's variance scales with
    share², the process variance with share)."""
    mu = np.maximum(expected * share, MIN_MEAN)
    variance = phi * mu * (1.0 + share * w2) + mu * mu * season_var
    return upper_tail(now, mu, variance)


def surge_tests(
    counts: FloatArray,
    alpha: float,
    season: FloatArray | None = None,
    season_var: FloatArray | None = None,
    short: FloatArray | None = None,
    short_days: float = 0.0,
) -> SurgeTests:
    """For series (rows) of weekly counts, bin 0 = the current week and bins 1..K its history. With
    ``short`` (the counts of the last ``short_days`` days, inside the current week) each series is
    tested on both windows and its p-value is twice the smaller (Bonferroni over the two windows), so a
    surge that began a day ago is not diluted by six ordinary days. ``season`` multiplies the baseline;
    ``season_var`` is the relative variance of that factor."""
    c = np.asarray(counts, dtype=float)
    rows = c.shape[0] if c.ndim == 2 else 0
    if not rows:
        e = np.zeros(0)
        return SurgeTests(e, e, e, e, e, e, e, e, 1.0)
    now, history = c[:, 0], c[:, 1:]
    w = weights(history.shape[1], alpha)
    w2 = float((w * w).sum())
    expected = history @ w
    if season is not None:
        expected = expected * np.asarray(season, dtype=float)
    sv = np.zeros(rows) if season_var is None else np.asarray(season_var, dtype=float)
    phi = dispersion(history)
    expected = np.maximum(expected, MIN_MEAN)
    p_week = _tail(now, expected, 1.0, phi, w2, sv)
    if short is not None and 0 < short_days < 7:
        share = short_days / 7.0
        short_count = np.asarray(short, dtype=float)
        p_short = _tail(short_count, expected, share, phi, w2, sv)
        p = np.minimum(1.0, 2.0 * np.minimum(p_week, p_short))
        short_expected = np.maximum(expected * share, MIN_MEAN)
    else:
        short_count = short_expected = np.zeros(rows)
        p_short = np.ones(rows)
        p = p_week
    return SurgeTests(now, expected, p_week, short_count, short_expected, p_short, p, benjamini_hochberg(p), phi)
