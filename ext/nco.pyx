# cython: language_level=3
"""Phase-continuous numerically controlled oscillator (mixer).

The phase of sample k (relative to the segment origin) is, in cycles,
    phi(k) = phase0 + f*k + 0.5*r*k*k
evaluated in float64 in closed form at every 64th sample and advanced by
complex multiplication in between, so the result for a given absolute sample
does not depend on where the stream was cut into blocks.
"""

from libc.math cimport floor, sin, cos, M_PI

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef inline double _frac(double v) nogil:
    return v - floor(v)


cdef inline void _advance(double* pr, double* pi_, double* wr, double* wi,
                          double qr, double qi) noexcept nogil:
    """One sample on: phasor p *= step w, and the step w *= q (the rate)."""
    cdef double tr = pr[0] * wr[0] - pi_[0] * wi[0]
    pi_[0] = pr[0] * wi[0] + pi_[0] * wr[0]
    pr[0] = tr
    tr = wr[0] * qr - wi[0] * qi
    wi[0] = wr[0] * qi + wi[0] * qr
    wr[0] = tr


def mix_linear(const float complex[::1] x, float complex[::1] out,
               double phase0, double f, double r, long long k0, int sign=-1):
    """out[i] = x[i] * exp(sign * 2j*pi*phi(k0 + i)); f in cycles/sample, r in cycles/sample^2.

    The phasor is evaluated exactly at every k that is a multiple of 64 and
    advanced by complex multiplication in between (second order, for the
    rate). A block that starts between two such points first advances from
    the one before it, so every sample gets the same value whatever the
    block boundaries: the output does not depend on how the stream was cut.
    Without a rate (r == 0) the steps after each such point come from a table
    of their exact values instead (about three times faster: the samples no
    longer depend on each other).
    """
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i
    cdef long long k, b
    cdef double twopi = 2.0 * M_PI
    cdef double sgn = -1.0 if sign < 0 else 1.0
    cdef double pr, pi_, wr, wi, qr, qi, a, xr, xi
    if out.shape[0] < n:
        raise ValueError("output buffer too short")
    if n == 0:
        return
    if r == 0.0:
        _mix_constant(&x[0], &out[0], n, phase0, f, k0, sgn)
        return
    with nogil:
        qr = cos(twopi * _frac(r))
        qi = sgn * sin(twopi * _frac(r))
        pr = pi_ = wr = wi = 0.0
        for i in range(n):
            k = k0 + i
            if i == 0 or (k & 63) == 0:
                b = k - (k & 63)  # the exact point at or before k
                a = twopi * _frac(phase0 + f * <double>b + 0.5 * r * <double>b * <double>b)
                pr = cos(a)
                pi_ = sgn * sin(a)
                # the step from b to b + 1: f + r*(b + 1/2) cycles
                a = twopi * _frac(f + r * (<double>b + 0.5))
                wr = cos(a)
                wi = sgn * sin(a)
                while b < k:  # a block starting between exact points
                    _advance(&pr, &pi_, &wr, &wi, qr, qi)
                    b += 1
            xr = x[i].real
            xi = x[i].imag
            out[i] = (xr * pr - xi * pi_) + 1j * (xr * pi_ + xi * pr)
            _advance(&pr, &pi_, &wr, &wi, qr, qi)


cdef void _mix_constant(const float complex* x, float complex* out, Py_ssize_t n,
                       double phase0, double f, long long k0, double sgn) noexcept nogil:
    """The constant-frequency case of :func:`mix_linear`: the phasor at each multiple of
    64 exactly, times a table of the 64 steps after it (exact too), so the samples of a
    64-block are independent of each other and the loop over them vectorises."""
    cdef double tr[64]
    cdef double ti[64]
    cdef float pr[64]
    cdef float pim[64]
    cdef const float* xf = <const float*> x
    cdef float* of = <float*> out
    cdef double twopi = 2.0 * M_PI, a, br, bi
    cdef Py_ssize_t i = 0, j, j0, cnt
    cdef long long k, b
    for j in range(64):
        a = twopi * _frac(f * <double>j)
        tr[j] = cos(a)
        ti[j] = sgn * sin(a)
    while i < n:
        k = k0 + i
        j0 = <Py_ssize_t>(k & 63)
        b = k - j0
        a = twopi * _frac(phase0 + f * <double>b)
        br = cos(a)
        bi = sgn * sin(a)
        cnt = 64 - j0
        if cnt > n - i:
            cnt = n - i
        for j in range(cnt):
            pr[j] = <float>(br * tr[j0 + j] - bi * ti[j0 + j])
            pim[j] = <float>(br * ti[j0 + j] + bi * tr[j0 + j])
        for j in range(cnt):
            of[2 * (i + j)] = xf[2 * (i + j)] * pr[j] - xf[2 * (i + j) + 1] * pim[j]
            of[2 * (i + j) + 1] = xf[2 * (i + j)] * pim[j] + xf[2 * (i + j) + 1] * pr[j]
        i += cnt


def phase_at(double phase0, double f, double r, long long k):
    """Phase in cycles (fractional part) at offset k from the segment origin."""
    cdef double kk = <double>k
    cdef double cyc = phase0 + f * kk + 0.5 * r * kk * kk
    return cyc - floor(cyc)
