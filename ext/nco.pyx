# cython: language_level=3
"""Phase-continuous numerically controlled oscillator (mixer).

The phase of sample k (relative to the segment origin) is, in cycles,
    phi(k) = phase0 + f*k + 0.5*r*k*k
evaluated in float64 in closed form for every sample, so the result for a
given absolute sample does not depend on where the stream was cut into blocks.
"""

from libc.math cimport floor, sin, cos, M_PI

import numpy as np
cimport numpy as cnp

cnp.import_array()


def mix_linear(const float complex[::1] x, float complex[::1] out,
               double phase0, double f, double r, long long k0, int sign=-1):
    """out[i] = x[i] * exp(sign * 2j*pi*phi(k0 + i)); f in cycles/sample, r in cycles/sample^2."""
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i
    cdef double k, cyc, c, s, xr, xi
    cdef double twopi = 2.0 * M_PI
    cdef double sgn = -1.0 if sign < 0 else 1.0
    if out.shape[0] < n:
        raise ValueError("output buffer too short")
    with nogil:
        for i in range(n):
            k = <double>(k0 + i)
            cyc = phase0 + f * k + 0.5 * r * k * k
            cyc = cyc - floor(cyc)
            c = cos(twopi * cyc)
            s = sgn * sin(twopi * cyc)
            xr = x[i].real
            xi = x[i].imag
            out[i] = (xr * c - xi * s) + 1j * (xr * s + xi * c)


def phase_at(double phase0, double f, double r, long long k):
    """Phase in cycles (fractional part) at offset k from the segment origin."""
    cdef double kk = <double>k
    cdef double cyc = phase0 + f * kk + 0.5 * r * kk * kk
    return cyc - floor(cyc)
