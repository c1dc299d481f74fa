# cython: language_level=3
"""Kernels of the per-frame estimators (sdrlink.dsp.estimate, sdrlink.protocols.fsk.measure,
sdrlink.dsp.linefit, the LoRa preamble fits of sdrlink.protocols.lora.sync).

Each is one pass over a frame's samples, symbols or spectra, where the same steps
in Python or NumPy would cost more in overhead than in arithmetic; the callers do
what is left (a 7 x 7 solve) in NumPy. This module is built without -ffast-math
(NaN checks, and no calls into the vector maths library).
"""

from libc.math cimport atan2, cos, fabs, fmod, isfinite, nearbyint, sin, sqrt
from kth cimport kth_smallest

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


cdef double _median(double* a, Py_ssize_t n) noexcept nogil:
    """Median of a[0..n), n >= 1, as numpy.median (the middle pair averaged); reorders ``a``."""
    cdef Py_ssize_t k = n // 2, i
    cdef double upper = kth_smallest(a, n, k), lower
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


# ------------------------------------------------------- LoRa preamble estimators

cdef double _TWO_PI = 6.283185307179586


cdef inline double _wrap(double x, double m) noexcept nogil:
    """x wrapped into [-m/2, m/2) (Python's floor modulo)."""
    cdef double r = fmod(x + m / 2, m)
    if r < 0:
        r += m
    return r - m / 2


cdef inline double _parabola(double a, double b, double c) noexcept nogil:
    """Offset (-0.5..0.5) of a peak b between a and c; 0 where they do not bend down."""
    cdef double den = a - 2 * b + c, x
    if den >= 0:
        return 0.0
    x = 0.5 * (a - c) / den
    return -0.5 if x < -0.5 else (0.5 if x > 0.5 else x)


cdef Py_ssize_t _column_peak(const float complex[:, ::1] z, double* col) noexcept nogil:
    """Summed power of each column of ``z`` into ``col``; the first column of the most."""
    cdef Py_ssize_t rows = z.shape[0], m = z.shape[1], i, k, best = 0
    for k in range(m):
        col[k] = 0.0
    for i in range(rows):
        for k in range(m):
            col[k] += <double>z[i, k].real * z[i, k].real + <double>z[i, k].imag * z[i, k].imag
    for k in range(1, m):
        if col[k] > col[best]:
            best = k
    return best


def peak_drift(const float complex[:, ::1] up, Py_ssize_t pad, Py_ssize_t span):
    """(slope, standard error) of where each dechirped up-chirp spectrum (rows of
    ``up``, zero-padded ``pad`` times) peaks within ``span`` padded bins of the rows'
    common peak; see ``sdrlink.protocols.lora.sync.peak_drift`` for the method.
    (0, inf) with fewer than 3 pairs of rows."""
    cdef Py_ssize_t rows = up.shape[0], m = up.shape[1], i, k, j, jb, q
    if m < 2 * span + 1:
        raise ValueError("peak_drift: spectra too short for the span")
    if rows * (rows - 1) // 2 < 3:
        return 0.0, float("inf")
    cdef double[::1] col = np.empty(m)
    cdef double[::1] pos_a = np.empty(rows), resid_a = np.empty(rows)
    cdef double[::1] pairs_a = np.empty(rows * (rows - 1) // 2)
    cdef double* pos = &pos_a[0]
    cdef double* resid = &resid_a[0]
    cdef double* pairs = &pairs_a[0]
    cdef double a, b, c, best, v, slope, x_mean, med, spread, sxx
    cdef Py_ssize_t ku, n_p = 0
    with nogil:
        ku = _column_peak(up, &col[0])
        for i in range(rows):
            jb = 0
            best = -1.0
            for j in range(2 * span + 1):
                q = (ku - span + j + m) % m
                v = sqrt(<double>up[i, q].real * up[i, q].real + <double>up[i, q].imag * up[i, q].imag)
                if v > best:
                    best = v
                    jb = j
            jb = 1 if jb < 1 else (2 * span - 1 if jb > 2 * span - 1 else jb)
            q = (ku - span + jb - 1 + m) % m
            a = sqrt(<double>up[i, q].real * up[i, q].real + <double>up[i, q].imag * up[i, q].imag)
            q = (ku - span + jb + m) % m
            b = sqrt(<double>up[i, q].real * up[i, q].real + <double>up[i, q].imag * up[i, q].imag)
            q = (ku - span + jb + 1 + m) % m
            c = sqrt(<double>up[i, q].real * up[i, q].real + <double>up[i, q].imag * up[i, q].imag)
            pos[i] = (jb + _parabola(a, b, c)) / pad
        for i in range(rows):
            for k in range(i + 1, rows):
                pairs[n_p] = (pos[k] - pos[i]) / (k - i)
                n_p += 1
        slope = _median(pairs, n_p)
        x_mean = (rows - 1) / 2.0
        for i in range(rows):
            resid[i] = pos[i] - slope * (i - x_mean)
            pairs[i] = resid[i]
        med = _median(pairs, rows)
        best = 0.0  # the worst window is left out
        spread = 0.0
        for i in range(rows):
            v = fabs(resid[i] - med)
            spread += v * v
            best = v if v > best else best
        spread -= best * best
        spread = sqrt(spread / (rows - 3 if rows - 3 > 1 else 1))
        sxx = 0.0
        for i in range(rows):
            sxx += (i - x_mean) * (i - x_mean)
    return slope, spread / sqrt(sxx)


def preamble_fit(const float complex[:, ::1] up, const float complex[:, ::1] down,
                 Py_ssize_t pad):
    """(cfo at time 0 in bins, drift in bins per symbol, timing in chips) from dechirped
    preamble windows; see ``sdrlink.protocols.lora.sync.preamble_offsets`` for the
    method (this is it, in one pass)."""
    cdef Py_ssize_t n_up = up.shape[0], m = up.shape[1], i, n_p, ku, kd
    if down.shape[1] != m or n_up < 1 or down.shape[0] < 1:
        raise ValueError("preamble_fit: inconsistent spectra")
    cdef double[::1] col = np.empty(m)
    cdef double[::1] cyc_a = np.empty(n_up)
    cdef double complex[::1] prods_a = np.empty(n_up, dtype=np.complex128)
    cdef double* cyc = &cyc_a[0]
    cdef double complex* prods = &prods_a[0]
    cdef double complex total, d0, d1
    cdef double pu, pd, t_u, t_d, rho = 0.0, x_mean, sxx, c_mean, slope, ss, r, sigma
    cdef double cf, timing, c_mag
    with nogil:
        ku = _column_peak(up, &col[0])
        pu = _wrap(ku + _parabola(sqrt(col[(ku - 1 + m) % m]), sqrt(col[ku]),
                                  sqrt(col[(ku + 1) % m])), m) / pad
        kd = _column_peak(down, &col[0])
        pd = _wrap(kd + _parabola(sqrt(col[(kd - 1 + m) % m]), sqrt(col[kd]),
                                  sqrt(col[(kd + 1) % m])), m) / pad
        n_p = n_up - 1
        for i in range(n_p):
            prods[i] = up[i + 1, ku] * up[i, ku].conjugate()
        t_u = n_up / 2.0
        t_d = n_up + 3.0
        if n_p >= 4:
            for i in range(n_p):
                cyc[i] = atan2(prods[i].imag, prods[i].real) / _TWO_PI
            for i in range(1, n_p):  # unwrapped
                cyc[i] -= nearbyint(cyc[i] - cyc[i - 1])
            x_mean = (n_p + 1) / 2.0  # pair i measures time i + 1
            sxx = 0.0
            c_mean = 0.0
            for i in range(n_p):
                sxx += (i + 1 - x_mean) * (i + 1 - x_mean)
                c_mean += cyc[i]
            c_mean /= n_p
            slope = 0.0
            for i in range(n_p):
                slope += (i + 1 - x_mean) * (cyc[i] - c_mean)
            slope /= sxx
            ss = 0.0
            for i in range(n_p):
                r = cyc[i] - c_mean - slope * (i + 1 - x_mean)
                ss += r * r
            sigma = sqrt(ss / (n_p - 2 if n_p - 2 > 1 else 1) / sxx)
            if fabs(slope) > 3 * sigma:  # a real drift (Doppler), not noise
                rho = -0.5 if slope < -0.5 else (0.5 if slope > 0.5 else slope)
        # fractional offset at t_u from the phase advance, drift removed
        total = 0.0
        for i in range(n_p):
            total += prods[i] * (cos(-_TWO_PI * rho * (i + 1 - t_u))
                                 + 1j * sin(-_TWO_PI * rho * (i + 1 - t_u)))
        if down.shape[0] >= 2:
            d0 = down[0, kd]
            d1 = down[1, kd]
            total += d1 * d0.conjugate() * (cos(-_TWO_PI * rho * (t_d - t_u))
                                            + 1j * sin(-_TWO_PI * rho * (t_d - t_u)))
        cf = atan2(total.imag, total.real) / _TWO_PI
        timing = (pu - pd + rho * (t_d - t_u)) / 2
        c_mag = pu - timing  # offset at t_u from the magnitudes
    return cf + nearbyint(c_mag - cf) - rho * t_u, rho, timing


def track_symbols(const double[::1] pred, const unsigned char[::1] reliable,
                  const double[::1] err, const double[::1] jump, double[::1] state,
                  bint track_timing, double alpha, double beta, double gamma,
                  double gamma2, double max_diff, double max_lag):
    """The LoRa symbol tracker's loop over one batch (``sdrlink.protocols.lora.tracker``).

    ``state`` = (delta, rho, tau, tau_rate) is updated in place; symbol i was
    dechirped at offset ``pred[i]`` with the timing ``state[2]`` had on entry;
    ``err`` is its measured offset error, ``jump`` its timing error (NaN: none).
    Returns how many symbols were used: the batch stops before a symbol whose
    actual offset left its prediction by more than ``max_diff`` or whose timing
    moved by more than ``max_lag`` (it is dechirped again).
    """
    cdef Py_ssize_t k_n = pred.shape[0], i
    cdef double delta = state[0], rho = state[1], tau = state[2], tau_rate = state[3]
    cdef double tau_used = tau, lag, diff, e, te
    if reliable.shape[0] != k_n or err.shape[0] != k_n or jump.shape[0] != k_n:
        raise ValueError("track_symbols: inconsistent lengths")
    if state.shape[0] != 4:
        raise ValueError("track_symbols: state holds delta, rho, tau, tau_rate")
    i = 0
    with nogil:
        while i < k_n:
            lag = tau - tau_used
            diff = (delta - lag) - pred[i]  # actual minus predicted offset
            if i > 0 and (fabs(diff) > max_diff or fabs(lag) > max_lag):
                break
            if reliable[i]:
                e = err[i] - diff
                delta += alpha * e
                rho += beta * e
                if jump[i] == jump[i]:
                    te = jump[i] - lag
                    tau += gamma * te
                    tau_rate += gamma2 * te
                    delta += gamma * te
            if track_timing:
                tau += tau_rate  # following the clock keeps the bins in place
            delta += rho
            i += 1
    state[0], state[1], state[2], state[3] = delta, rho, tau, tau_rate
    return i
