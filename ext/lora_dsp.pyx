# cython: language_level=3
# distutils: extra_compile_args = -O3 -ffast-math
"""LoRa receiver kernels: the polyphase FIR that selects and resamples a channel.

``fir_bank`` computes, for every output k,
    out[k] = sum_t x[base[k] + t] * bank[phase[k], t]
i.e. a low-pass interpolating filter evaluated at arbitrary (pre-computed)
input positions; the caller chooses positions and phases so that the result
depends only on absolute sample indices.
"""

import numpy as np
cimport numpy as cnp

cnp.import_array()


def fir_bank(const float complex[::1] x, const long long[::1] base,
             const int[::1] phase, const float[:, ::1] bank,
             float complex[::1] out):
    """out[k] = sum_t x[base[k]+t] * bank[phase[k], t] for k < len(base)."""
    cdef Py_ssize_t n = base.shape[0]
    cdef Py_ssize_t ntaps = bank.shape[1]
    cdef Py_ssize_t nx = x.shape[0]
    cdef Py_ssize_t k, t, b
    cdef const float *h
    cdef const float *xp
    cdef float accr, acci, w, ar2, ai2
    if out.shape[0] < n:
        raise ValueError("output buffer too short")
    for k in range(n):
        b = base[k]
        if b < 0 or b + ntaps > nx:
            raise IndexError("filter span outside the input buffer")
        if phase[k] < 0 or phase[k] >= bank.shape[0]:
            raise IndexError("phase index out of range")
    with nogil:
        for k in range(n):
            b = base[k]
            h = &bank[phase[k], 0]
            xp = <const float *> &x[b]
            accr = 0.0
            acci = 0.0
            ar2 = 0.0
            ai2 = 0.0
            t = 0
            while t + 1 < ntaps:  # two accumulators per component: more in flight
                accr = accr + xp[2 * t] * h[t]
                acci = acci + xp[2 * t + 1] * h[t]
                ar2 = ar2 + xp[2 * t + 2] * h[t + 1]
                ai2 = ai2 + xp[2 * t + 3] * h[t + 1]
                t = t + 2
            if t < ntaps:
                accr = accr + xp[2 * t] * h[t]
                acci = acci + xp[2 * t + 1] * h[t]
            out[k] = (accr + ar2) + 1j * (acci + ai2)


def fir_rational(const float complex[::1] x, long long x0, long long k0, long long k1,
                 long long num, long long den, long long half,
                 const float[:, ::1] bank, float complex[::1] out):
    """Outputs k0..k1-1 at input positions k*num/den: out[k-k0] = sum_t x[b+t] * bank[ph, t].

    ``b = floor(k*num/den) - half + 1 - x0`` and ``ph = (k*num) mod den``; ``x[0]``
    is absolute input sample ``x0``. The bank has ``den`` rows of ``2*half`` taps.
    """
    cdef Py_ssize_t n = k1 - k0
    cdef Py_ssize_t ntaps = bank.shape[1]
    cdef Py_ssize_t nx = x.shape[0]
    cdef Py_ssize_t i, t
    cdef long long prod, b, ph
    cdef const float *h
    cdef const float *xp
    cdef float accr, acci, ar2, ai2
    if out.shape[0] < n or bank.shape[0] != den or ntaps != 2 * half:
        raise ValueError("fir_rational: inconsistent buffers")
    if n <= 0:
        return
    if (k0 * num) // den - half + 1 - x0 < 0 or ((k1 - 1) * num) // den + half + 1 - x0 > nx:
        raise IndexError("filter span outside the input buffer")
    with nogil:
        for i in range(n):
            prod = (k0 + i) * num
            b = prod // den - half + 1 - x0
            ph = prod % den
            h = &bank[ph, 0]
            xp = <const float *> &x[b]
            accr = 0.0
            acci = 0.0
            ar2 = 0.0
            ai2 = 0.0
            t = 0
            while t + 1 < ntaps:
                accr = accr + xp[2 * t] * h[t]
                acci = acci + xp[2 * t + 1] * h[t]
                ar2 = ar2 + xp[2 * t + 2] * h[t + 1]
                ai2 = ai2 + xp[2 * t + 3] * h[t + 1]
                t = t + 2
            if t < ntaps:
                accr = accr + xp[2 * t] * h[t]
                acci = acci + xp[2 * t + 1] * h[t]
            out[i] = (accr + ar2) + 1j * (acci + ai2)
