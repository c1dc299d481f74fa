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


# ------------------------------------------------- the C fit against plain NumPy


def _numpy_slope_fit(t, y, group=None, min_points=10, clip=4.0):
    """slope_fit's method step by step in NumPy (the reference for the kernel)."""
    t, y = np.asarray(t, float), np.asarray(y, float)
    g = np.zeros(len(t), np.int64) if group is None else np.asarray(group, np.int64)
    g = np.unique(g, return_inverse=True)[1].ravel()
    keep = np.isfinite(t) & np.isfinite(y)
    if keep.sum() < min_points:
        return None

    def lines(kp):
        tt, yy, gg = t[kp], y[kp], g[kp]
        if len(tt) < min_points:
            return None
        cnt = np.bincount(gg, minlength=g.max() + 1)
        safe = np.maximum(cnt, 1)
        dt = tt - (np.bincount(gg, tt, minlength=len(cnt)) / safe)[gg]
        dy = yy - (np.bincount(gg, yy, minlength=len(cnt)) / safe)[gg]
        sxx, dof = dt @ dt, len(tt) - 1 - np.count_nonzero(cnt)
        if sxx <= 0 or dof < 1:
            return None
        slope = (dt @ dy) / sxx
        return slope, dy - slope * dt, dof, sxx

    for it in range(5):
        tt, yy, gg = t[keep], y[keep], g[keep]
        if it == 0:
            i, k = np.triu_indices(len(tt), 1)
            same = (gg[i] == gg[k]) & (tt[i] != tt[k])
            if not same.any():
                return None
            slope = np.median((yy[k[same]] - yy[i[same]]) / (tt[k[same]] - tt[i[same]]))
            resid = yy - slope * tt
            for v in np.unique(gg):
                resid[gg == v] -= np.median(resid[gg == v])
        else:
            res = lines(keep)
            if res is None:
                return None
            resid = res[1]
        full = np.full(len(t), np.inf)
        full[keep] = resid
        mad = np.median(np.abs(resid - np.median(resid)))
        new = keep & (np.abs(full) <= clip * max(1.4826 * mad, 1e-9))
        if np.array_equal(new, keep):
            break
        keep = new
    res = lines(keep)
    if res is None:
        return None
    slope, resid, dof, sxx = res
    first = keep & (g == g[keep][0])
    value = np.mean(y[first] - slope * t[first])
    return slope, t_quantile_975(dof) * np.sqrt(resid @ resid / dof / sxx), value


@pytest.mark.parametrize("seed", range(40))
def test_fit_matches_a_numpy_reference(seed):
    """Groups with their own intercepts, outliers, NaNs, repeated times, short inputs."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(5, 90))
    t = np.sort(rng.uniform(0, 50, n)) if seed % 3 else np.round(rng.uniform(0, 20, n))
    group = rng.integers(0, int(rng.integers(1, 4)), n) * 7 - 3  # any ints, unsorted
    y = 0.02 * t + 0.5 * group + rng.normal(0, 0.05, n)
    bad = rng.random(n) < rng.uniform(0, 0.3)
    y[bad] += rng.normal(0, 3, bad.sum())  # outliers
    if seed % 4 == 0:
        y[rng.integers(0, n)] = np.nan
    if seed % 5 == 0:
        t[rng.integers(0, n)] = np.inf
    want = _numpy_slope_fit(t, y, group)
    got = slope_fit(t, y, group)
    if want is None:
        assert got is None
    else:
        assert got == pytest.approx(want, rel=1e-9, abs=1e-12)


def test_fit_of_one_group_without_spread_is_none():
    assert slope_fit(np.full(20, 3.0), np.arange(20.0)) is None
    assert _numpy_slope_fit(np.full(20, 3.0), np.arange(20.0)) is None
