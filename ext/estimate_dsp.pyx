# cython: language_level=3
"""Kernels of the per-frame estimators (sdrlink.dsp.estimate, sdrlink.protocols.fsk.measure).

Each is one pass over a frame's samples or symbols; the estimators do the rest
(a 7 x 7 solve, medians) in NumPy.
"""

from libc.math cimport fabs, isfinite, sqrt

import numpy as np

cimport numpy as cnp

cnp.import_array()


cdef inline void _row(const double[::1] b, const double[::1] t, Py_ssize_t k, double t0,
                      double ts, double* r) noexcept nogil:
    r[0] = 1.0
    r[1] = (t[k] - t0) / ts
    r[2] = b[k]
    r[3] = b[k - 1]
    r[4] = b[k + 1]
    r[5] = b[k - 2]
    r[6] = b[k + 2]


def level_normal(const double[::1] v, const double[::1] b, const double[::1] t, double t0,
                 double ts, const unsigned char[::1] keep, double[:, ::1] gram,
                 double[::1] atv):
    """Normal equations (A^T A, A^T v) of the level fit over the rows k = 2 .. n-3
    whose ``keep[k - 2]`` is set (``keep`` empty: every row). Row k of A is
    [1, (t[k] - t0) / ts, b[k], b[k-1], b[k+1], b[k-2], b[k+2]]. Returns the row count."""
    cdef Py_ssize_t n = v.shape[0], k, i, j, rows = 0
    cdef double r[7]
    cdef bint all_rows = keep.shape[0] == 0
    if b.shape[0] != n or t.shape[0] != n or n < 5:
        raise ValueError("v, b and t must have the same length (at least 5)")
    if not all_rows and keep.shape[0] != n - 4:
        raise ValueError("keep must have one entry per row (n - 4)")
    if gram.shape[0] != 7 or gram.shape[1] != 7 or atv.shape[0] != 7:
        raise ValueError("gram must be 7 x 7 and atv 7 long")
    with nogil:
        for i in range(7):
            atv[i] = 0.0
            for j in range(7):
                gram[i, j] = 0.0
        for k in range(2, n - 2):
            if not all_rows and not keep[k - 2]:
                continue
            _row(b, t, k, t0, ts, r)
            rows += 1
            for i in range(7):
                atv[i] += r[i] * v[k]
                for j in range(i, 7):
                    gram[i, j] += r[i] * r[j]
        for i in range(7):
            for j in range(i):
                gram[i, j] = gram[j, i]
    return rows


def level_residuals(const double[::1] v, const double[::1] b, const double[::1] t, double t0,
                    double ts, const double[::1] coef, double[::1] resid, double[::1] data):
    """For every row k = 2 .. n-3: the residual v[k] - A[k] coef and the fitted data
    part (the symbol terms, coef[2:]) into ``resid[k - 2]`` and ``data[k - 2]``."""
    cdef Py_ssize_t n = v.shape[0], k, i
    cdef double r[7]
    cdef double fit, dat
    if resid.shape[0] < n - 4 or data.shape[0] < n - 4 or coef.shape[0] != 7:
        raise ValueError("outputs shorter than the rows, or coef not 7 long")
    with nogil:
        for k in range(2, n - 2):
            _row(b, t, k, t0, ts, r)
            dat = 0.0
            for i in range(2, 7):
                dat += r[i] * coef[i]
            fit = coef[0] + r[1] * coef[1] + dat
            resid[k - 2] = v[k] - fit
            data[k - 2] = dat
    return n - 4


def power_moments(const float complex[::1] z):
    """(mean |z|^2, mean |z|^4) of complex samples, accumulated in float64."""
    cdef Py_ssize_t n = z.shape[0], i
    cdef double p, m2 = 0.0, m4 = 0.0
    if n == 0:
        return float("nan"), float("nan")
    with nogil:
        for i in range(n):
            p = <double>z[i].real * z[i].real + <double>z[i].imag * z[i].imag
            m2 += p
            m4 += p * p
    return m2 / n, m4 / n


def spd_solve(const double[:, ::1] gram, const double[::1] rhs, double[::1] x,
              double[:, ::1] inv):
    """Solve gram @ x = rhs for a symmetric positive definite ``gram`` (n x n, n <= 16)
    by Cholesky, and write its inverse to ``inv``. Returns False (nothing written
    that can be used) when a pivot falls below 1e-12 of its diagonal entry, i.e.
    the system is singular to working precision."""
    cdef Py_ssize_t n = gram.shape[0], i, j, k
    cdef double l[16][16]
    cdef double y[16]
    cdef double e[16]
    cdef double s
    cdef bint ok = True
    if n > 16 or gram.shape[1] != n or rhs.shape[0] != n or x.shape[0] != n:
        raise ValueError("gram must be square (at most 16), rhs and x as long")
    if inv.shape[0] != n or inv.shape[1] != n:
        raise ValueError("inv must be as large as gram")
    with nogil:
        for j in range(n):
            s = gram[j, j]
            for k in range(j):
                s -= l[j][k] * l[j][k]
            if not s > 1e-12 * gram[j, j] or not s > 0.0:
                ok = False
                break
            l[j][j] = sqrt(s)
            for i in range(j + 1, n):
                s = gram[i, j]
                for k in range(j):
                    s -= l[i][k] * l[j][k]
                l[i][j] = s / l[j][j]
    if not ok:
        return False
    with nogil:
        # x: forward then back substitution
        for i in range(n):
            s = rhs[i]
            for k in range(i):
                s -= l[i][k] * y[k]
            y[i] = s / l[i][i]
        for i in range(n - 1, -1, -1):
            s = y[i]
            for k in range(i + 1, n):
                s -= l[k][i] * x[k]
            x[i] = s / l[i][i]
        # the inverse, column by column
        for j in range(n):
            for i in range(n):
                s = 1.0 if i == j else 0.0
                for k in range(i):
                    s -= l[i][k] * e[k]
                e[i] = s / l[i][i]
            for i in range(n - 1, -1, -1):
                s = e[i]
                for k in range(i + 1, n):
                    s -= l[k][i] * inv[k, j]
                inv[i, j] = s / l[i][i]
    return True


# ---------------------------------------------------------------- robust line fit


cdef double _select(double* a, Py_ssize_t n, Py_ssize_t k) noexcept nogil:
    """The k-th smallest of a[0..n) (Hoare's selection; reorders ``a``: afterwards
    a[0..k) <= a[k] <= a[k+1..n))."""
    cdef Py_ssize_t lo = 0, hi = n - 1, i, j
    cdef double pivot, tmp
    while lo < hi:
        pivot = a[(lo + hi) // 2]
        i, j = lo, hi
        while i <= j:
            while a[i] < pivot:
                i += 1
            while a[j] > pivot:
                j -= 1
            if i <= j:
                tmp = a[i]
                a[i] = a[j]
                a[j] = tmp
                i += 1
                j -= 1
        if k <= j:
            hi = j
        elif k >= i:
            lo = i
        else:
            break
    return a[k]


cdef double _median(double* a, Py_ssize_t n) noexcept nogil:
    """Median of a[0..n), n >= 1, as numpy.median (the middle pair averaged); reorders ``a``."""
    cdef Py_ssize_t k = n // 2, i
    cdef double upper = _select(a, n, k), lower
    if n % 2:
        return upper
    lower = a[0]
    for i in range(1, k):
        if a[i] > lower:
            lower = a[i]
    return (lower + upper) / 2


cdef int _lines(const double* t, const double* y, const long long* g, const char* keep,
                Py_ssize_t n, Py_ssize_t n_groups, Py_ssize_t min_points, double* work,
                double* resid, double* out) noexcept nogil:
    """Least squares of y = a_group + slope * t over the kept points: 0 (too few points,
    no spread or no degree of freedom left) or 1, with out = (slope, rss, dof, sxx) and
    ``resid`` the residuals of the kept points (others untouched). ``work``: 3 * n_groups."""
    cdef double* cnt = work
    cdef double* st = work + n_groups
    cdef double* sy = work + 2 * n_groups
    cdef Py_ssize_t i, m = 0, present = 0
    cdef double sxx = 0.0, sxy = 0.0, dt, slope, rss = 0.0, r
    for i in range(3 * n_groups):
        work[i] = 0.0
    for i in range(n):
        if keep[i]:
            cnt[g[i]] += 1.0
            st[g[i]] += t[i]
            sy[g[i]] += y[i]
            m += 1
    if m < min_points:
        return 0
    for i in range(n_groups):
        if cnt[i] > 0:
            present += 1
            st[i] /= cnt[i]
            sy[i] /= cnt[i]
    for i in range(n):
        if keep[i]:
            dt = t[i] - st[g[i]]
            sxx += dt * dt
            sxy += dt * (y[i] - sy[g[i]])
    if sxx <= 0 or m - 1 - present < 1:
        return 0
    slope = sxy / sxx
    for i in range(n):
        if keep[i]:
            r = (y[i] - sy[g[i]]) - slope * (t[i] - st[g[i]])
            resid[i] = r
            rss += r * r
    out[0], out[1], out[2], out[3] = slope, rss, m - 1 - present, sxx
    return 1


cdef int _robust(const double* t, const double* y, const long long* g, Py_ssize_t n,
                 Py_ssize_t n_groups, Py_ssize_t min_points, double clip, char* kp, char* nw,
                 double* resid, double* tp, double* work, double* out) noexcept nogil:
    """:func:`robust_lines` on raw buffers (``tp``: n * (n - 1) / 2 and at least n)."""
    cdef Py_ssize_t i, k, m = 0, it, cnt, pairs = 0
    cdef double slope, mad, med, lim
    cdef bint same
    for i in range(n):
        kp[i] = isfinite(t[i]) and isfinite(y[i])
        m += kp[i]
    if m < min_points or m == 0:
        return 0
    # Theil-Sen: the median of the pairwise slopes within the groups
    for i in range(n):
        if kp[i]:
            for k in range(i + 1, n):
                if kp[k] and g[k] == g[i] and t[k] != t[i]:
                    tp[pairs] = (y[k] - y[i]) / (t[k] - t[i])
                    pairs += 1
    if pairs == 0:
        return 0
    slope = _median(tp, pairs)
    # residuals around it, each group's median removed
    for i in range(n):
        if kp[i]:
            resid[i] = y[i] - slope * t[i]
    for k in range(n_groups):
        cnt = 0
        for i in range(n):
            if kp[i] and g[i] == k:
                tp[cnt] = resid[i]
                cnt += 1
        if cnt:
            med = _median(tp, cnt)
            for i in range(n):
                if kp[i] and g[i] == k:
                    resid[i] -= med
    # leave out what lies beyond clip robust sigmas, refit by least squares, repeat
    for it in range(5):
        if it > 0 and not _lines(t, y, g, kp, n, n_groups, min_points, work, resid, out):
            return 0
        cnt = 0
        for i in range(n):
            if kp[i]:
                tp[cnt] = resid[i]
                cnt += 1
        med = _median(tp, cnt)
        cnt = 0
        for i in range(n):
            if kp[i]:
                tp[cnt] = fabs(resid[i] - med)
                cnt += 1
        mad = _median(tp, cnt)
        lim = clip * (1.4826 * mad if 1.4826 * mad > 1e-9 else 1e-9)
        same = True
        for i in range(n):
            nw[i] = kp[i] and fabs(resid[i]) <= lim
            if nw[i] != kp[i]:
                same = False
        if same:
            break
        for i in range(n):
            kp[i] = nw[i]
    if not _lines(t, y, g, kp, n, n_groups, min_points, work, resid, out):
        return 0
    # the value at t = 0 of the line of the first kept point's group
    k = -1
    cnt = 0
    med = 0.0
    for i in range(n):
        if kp[i]:
            if k < 0:
                k = g[i]
            if g[i] == k:
                med += y[i] - out[0] * t[i]
                cnt += 1
    out[4] = med / cnt
    return 1


def robust_lines(const double[::1] t, const double[::1] y, const long long[::1] g,
                 Py_ssize_t n_groups, Py_ssize_t min_points, double clip, double[::1] out):
    """Parallel straight lines (one intercept per group ``g``, 0 .. n_groups-1) through
    the finite points, outliers beyond ``clip`` robust standard deviations left out;
    :func:`sdrlink.dsp.linefit.slope_fit` gives the method. Returns whether a fit
    exists; then ``out`` = (slope, residual sum of squares, degrees of freedom, Sxx,
    value at t = 0 of the line of the first kept point's group)."""
    cdef Py_ssize_t n = t.shape[0], i
    if y.shape[0] != n or g.shape[0] != n or out.shape[0] < 5:
        raise ValueError("robust_lines: t, y and g must have one length, out five values")
    for i in range(n):
        if g[i] < 0 or g[i] >= n_groups:
            raise ValueError("robust_lines: group out of range")
    if n == 0:
        return False
    flags = np.zeros(2 * n, dtype=np.int8)
    buf = np.zeros(n + max(n * (n - 1) // 2, n) + 3 * max(n_groups, 1), dtype=np.float64)
    cdef signed char[::1] f = flags
    cdef double[::1] b = buf
    cdef int ok
    with nogil:
        ok = _robust(&t[0], &y[0], &g[0], n, n_groups, min_points, clip, <char*>&f[0],
                     <char*>&f[n], &b[0], &b[n], &b[n + max(n * (n - 1) // 2, n)], &out[0])
    return bool(ok)
