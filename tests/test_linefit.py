"""The straight-line fit behind every reported drift and its 95 % half-width."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from sdrlink.dsp.linefit import slope_fit, t_quantile_975


@pytest.mark.parametrize("dof", [1, 2, 5, 29, 30, 31, 45, 100, 1000, 100_000])
def test_t_quantile_matches_scipy(dof):
    assert t_quantile_975(dof) == pytest.approx(stats.t.ppf(0.975, dof), abs=2e-4)


def test_slope_interval_covers_the_true_slope_95_percent_of_the_time():
    rng = np.random.default_rng(1)
    t = np.arange(30, dtype=float)
    covered = 0
    for _ in range(2000):
        y = 3.0 + 0.5 * t + rng.standard_normal(len(t))
        fit = slope_fit(t, y)
        assert fit is not None
        covered += abs(fit[0] - 0.5) <= fit[1]
    # outlier clipping at 4 sigma leaves Gaussian points alone: ~95 % (binomial sd 0.5 %)
    assert 0.93 <= covered / 2000 <= 0.97


def test_too_few_points_give_no_slope():
    assert slope_fit(np.arange(9.0), np.arange(9.0)) is None
