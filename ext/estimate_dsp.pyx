# cython: language_level=3
"""Kernels of the per-frame estimators (sdrlink.dsp.estimate, sdrlink.protocols.fsk.measure).

Each is one pass over a frame's samples or symbols; the estimators do the rest
(a 7 x 7 solve, medians) in NumPy.
"""

from libc.math cimport sqrt

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
