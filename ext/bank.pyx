# cython: language_level=3
# distutils: extra_compile_args = -O3 -ffast-math
"""Kernels of the FFT filter bank (:mod:`sdrlink.dsp.channelizer`)."""

import numpy as np
cimport numpy as cnp

cnp.import_array()

cdef extern from "math.h" nogil:
    double cos(double)
    double sin(double)

cdef double _TWO_PI = 6.283185307179586


def gather_bins(const float complex[:, ::1] spec, const Py_ssize_t[::1] bins,
                const float complex[::1] weights, const double[::1] phase,
                float complex[:, ::1] out):
    """out[r, i] = spec[r, bins[i]] * weights[i] * exp(-2j*pi*phase[r]) for the rows of ``phase``.

    One channel of the FFT filter bank: its bins of each block's spectrum,
    weighed by the filter and turned so that the phase refers to sample 0.
    """
    cdef Py_ssize_t rows = phase.shape[0], k = bins.shape[0], r, i, nb = spec.shape[1]
    cdef float complex rot
    cdef double ph
    if spec.shape[0] < rows or out.shape[0] < rows or out.shape[1] < k or weights.shape[0] != k:
        raise ValueError("gather_bins: inconsistent shapes")
    for i in range(k):
        if bins[i] < 0 or bins[i] >= nb:
            raise IndexError("gather_bins: bin outside the spectrum")
    with nogil:
        for r in range(rows):
            ph = -_TWO_PI * phase[r]
            rot = <float>cos(ph) + 1j * <float>sin(ph)
            for i in range(k):
                out[r, i] = spec[r, bins[i]] * (weights[i] * rot)
