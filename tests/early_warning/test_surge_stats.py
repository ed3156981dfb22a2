"""The surge statistics by hand (weights, dispersion, negative-binomial tail, Benjamini–Hochberg), and
the area and domain models on constructed histories: many quiet series do not make a false alarm,
and the seasonal factor is used only when a year of history is there."""

from __future__ import annotations

import math

import numpy as np
import pytest
from django.utils import timezone

from fengqiao.early_warning import stats
from fengqiao.early_warning.detectors import REGISTRY
from fengqiao.early_warning.detectors.snapshot import Snapshot
from tests.early_warning.helpers import codes_of, make_case, run_only


def test_weights_are_normalised_ewma():
    assert np.allclose(stats.weights(3, 0.5), [4 / 7, 2 / 7, 1 / 7])


def test_dispersion_scaled_median_of_pearson():
    # means 4; Pearson D = 64/4/3, 36/4/3, 16/4/3 → median 3; χ²(3) median 2.36597 / 3 = 0.78866
    h = np.array([[0, 8, 0, 8], [1, 7, 1, 7], [2, 6, 2, 6]])
    assert stats.dispersion(h) == pytest.approx(3 / 0.788658, rel=1e-4)
    # under-dispersed (constant) series: never below 1; too few series with mean ≥ 1: 1
    assert stats.dispersion(np.array([[4, 4, 4], [5, 5, 5], [6, 6, 6]])) == 1.0
    assert stats.dispersion(np.array([[0, 8, 0, 8], [0, 0, 0, 1]])) == 1.0


def test_negative_binomial_tail_by_hand():
    # mean 2, variance 4 → n = 2, p = 1/2: P(0) = 1/4, P(1) = 2·(1/4)·(1/2) = 1/4
    p = stats.upper_tail(np.array([0, 1, 2]), np.array([2.0] * 3), np.array([4.0] * 3))
    assert np.allclose(p, [1.0, 0.75, 0.5])


def test_benjamini_hochberg_by_hand():
    q = stats.benjamini_hochberg(np.array([0.01, 0.04, 0.03, 0.5]))
    assert np.allclose(q, [0.04, 0.16 / 3, 0.16 / 3, 0.5])


def test_poisson_series_give_the_gamma_poisson_predictive():
    # eight weeks of exactly one case, equal weights (α → 0), φ = 1: X ~ NB(8, 8/9)
    counts = np.array([[5] + [1] * 8, [1] * 9, [1] * 9])
    r = stats.surge_tests(counts, alpha=1e-12)
    assert r.phi == 1.0 and np.allclose(r.expected, 1.0)
    by_hand = 1 - sum(math.comb(k + 7, k) * (8 / 9) ** 8 * (1 / 9) ** k for k in range(5))
    assert r.p[0] == pytest.approx(by_hand, rel=1e-9)
    assert r.q[0] == pytest.approx(min(1.0, by_hand * 3), rel=1e-9)  # smallest of 3 p-values × 3 / 1


def test_short_window_by_hand():
    """Three days of a weekly baseline of 7: mean 3, variance 3·(1 + 3/7·Σw²) with equal weights over
    7 weeks (Σw² = 1/7): 3·(1 + 3/49). The series' p-value is twice the smaller window's."""
    counts = np.array([[9] + [7] * 7, [7] * 8, [7] * 8])
    r = stats.surge_tests(counts, alpha=1e-12, short=np.array([9, 3, 3]), short_days=3)
    mu, var = 3.0, 3.0 * (1 + 3 / 49)
    n, prob = mu * mu / (var - mu), mu / var
    by_hand = 1 - sum(
        math.gamma(k + n) / (math.gamma(n) * math.factorial(k)) * prob**n * (1 - prob) ** k for k in range(9)
    )
    assert r.short_expected[0] == pytest.approx(3.0) and r.p_short[0] == pytest.approx(by_hand, rel=1e-7)
    assert r.p_short[0] < r.p_week[0] and r.p[0] == pytest.approx(2 * by_hand, rel=1e-7)


TYPES = ["0101", "0201", "0301", "0401", "0501", "0601"]  # six level-1 types


def test_an_excess_in_one_of_six_series_needs_the_corrected_level(org):
    """One case a week for eight weeks in six type series of one town. This week type 02 has 6, one
    every 1.1 days (3 in the last 3 days): the old Poisson test on the EWMA (p = 0.00059 < 0.001) fired.
    The predictive variance φ·μ·(1 + Σw²) = 1.198 (φ = 1, α = 0.3: Σw² = 0.198) gives p = 0.00241 for
    the week (the 3 days: mean 3/7, p = 0.0135), the series p = 2 × 0.00241, and six series tested give
    q = 6p = 0.029 > 0.01: quiet. A seventh case today: week p = 0.000621, 3 days (4 cases) p = 0.00209,
    q = 6 × 2 × 0.000621 = 0.00745: a surge."""
    for w in range(1, 9):
        for t in TYPES:
            make_case(org, 7 * w + 1, village=org.village1, category=t)
    for i in range(6):
        make_case(org, 0.5 + i * 1.1, village=org.village1, category="0201")
    d = REGISTRY["area_surge"]
    params = d.defaults()
    tests = d.tests(Snapshot(timezone.now(), d.lookback_days(params)), params, "")
    assert len(tests) == 6
    t = next(v for k, v in tests.items() if k[1] == "02")
    assert (t.count, t.phi) == (6, 1.0) and t.expected == pytest.approx(1.0)
    assert t.p == pytest.approx(2 * 0.0024150, rel=1e-4) and t.q == pytest.approx(6 * t.p)
    assert not run_only("area_surge").raised
    make_case(org, 0.2, village=org.village1, category="0201")
    result = run_only("area_surge")
    assert codes_of(result) == ["area_surge"]
    figures = result.raised[0].evidence["figures"]
    assert figures["count"] == 7 and figures["series_tested"] == 6
    assert figures["q_value"] == pytest.approx(6 * 2 * 0.00062099, rel=1e-3)


def test_domain_season_only_with_a_year_of_history(org):
    """Around the same week a year ago: one case a week for eight weeks and three in that week
    (around = 11 over 9 weeks, same = 3): factor (3 + 1) / (11/9 + 1) = 1.8, relative variance
    1/4 + 1/12. Without a case before that window, no factor at all."""
    d = REGISTRY["domain_surge"]
    year_ago = 364 + 7  # the start of "the same week" a year ago, in days before now
    for w in (-4, -3, -2, -1, 1, 2, 3, 4):
        make_case(org, year_ago - 7 * w - 3, category="0601")
    for i in range(3):
        make_case(org, year_ago - 1 - i, category="0601")
    snap = Snapshot(timezone.now(), 70)
    assert d.seasons(snap, ["06"]) == ({}, {})  # the history starts inside the window
    make_case(org, year_ago + 28 + 2, category="0101")  # a case before it: the history covers it
    factor, rel_var = d.seasons(Snapshot(timezone.now(), 70), ["06", "01"])
    assert factor == {"06": pytest.approx(1.8)} and rel_var == {"06": pytest.approx(1 / 4 + 1 / 12)}
