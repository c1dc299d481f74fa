# cython: language_level=3
"""Per-sample kernels of the FSK receiver (sdrlink.protocols.fsk).

All kernels are stateless functions: the caller keeps the state (history
samples, loop variables) between blocks, so results do not depend on how the
stream is cut into blocks.
"""

from libc.math cimport atan2, M_PI

import numpy as np
cimport numpy as cnp

cnp.import_array()


def fir_decim_f(const float[::1] buf, const float[::1] taps, Py_ssize_t start,
                Py_ssize_t step, float[::1] out):
    """Real FIR + decimation: out[k] = sum_j taps[j] * buf[start + k*step - j].

    ``buf`` must hold ``len(taps) - 1`` samples of history before ``start``.
    Computes outputs while ``start + k*step < len(buf)``; returns their count.
    """
    cdef Py_ssize_t nt = taps.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0, i, j
    cdef double acc
    with nogil:
        i = start
        while i < n and k < out.shape[0]:
            acc = 0.0
            for j in range(nt):
                acc = acc + taps[j] * buf[i - j]
            out[k] = <float>acc
            k += 1
            i += step
    return k


def fir_decim_c(const float complex[::1] buf, const float[::1] taps, Py_ssize_t start,
                Py_ssize_t step, float complex[::1] out):
    """Complex-input version of :func:`fir_decim_f` (real taps)."""
    cdef Py_ssize_t nt = taps.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0, i, j
    cdef float ar, ai, t
    cdef float complex v
    with nogil:
        i = start
        while i < n and k < out.shape[0]:
            ar = 0.0
            ai = 0.0
            for j in range(nt):
                t = taps[j]
                v = buf[i - j]
                ar = ar + t * v.real
                ai = ai + t * v.imag
            out[k].real = ar
            out[k].imag = ai
            k += 1
            i += step
    return k


def discriminate(const float complex[::1] x, float complex prev, double scale,
                 float[::1] out):
    """FM discriminator: out[i] = scale * arg(x[i] * conj(x[i-1])), x[-1] = ``prev``."""
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i
    cdef float pr = prev.real, pi_ = prev.imag, cr, ci
    with nogil:
        for i in range(n):
            cr = x[i].real
            ci = x[i].imag
            out[i] = <float>(scale * atan2(ci * pr - cr * pi_, cr * pr + ci * pi_))
            pr = cr
            pi_ = ci


def clock_recover(const float[::1] x, double[::1] st, double step, double alpha,
                  double beta, double dc_k, double fmax, float[::1] sym,
                  double[::1] pos, float[::1] dcs):
    """Zero-crossing DPLL symbol synchroniser with DC tracking.

    ``st`` = [phase, freq_correction, dc, previous y, absolute index of x[0]]
    is updated in place. The phase advances by ``step*(1+fcorr)`` per sample; a
    symbol is taken (linearly interpolated) each time it wraps past 1. Every
    zero crossing of the DC-free signal should fall at phase 0.5: its error
    corrects the phase (gain ``alpha``) and the rate (gain ``beta``, bounded by
    ``fmax``). Returns the number of symbols written to sym/pos/dcs.
    """
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i, k = 0, cap = sym.shape[0]
    cdef double ph = st[0], fc = st[1], dc = st[2], yp = st[3], base = st[4]
    cdef double y, inc, ph_old, f, t, phc, e
    with nogil:
        for i in range(n):
            dc = dc + dc_k * (x[i] - dc)
            y = x[i] - dc
            inc = step * (1.0 + fc)
            ph_old = ph
            ph = ph + inc
            if ph >= 1.0:
                f = (1.0 - ph_old) / inc
                if k < cap:
                    sym[k] = <float>(yp + f * (y - yp))
                    pos[k] = base + i - 1.0 + f
                    dcs[k] = <float>dc
                    k += 1
                ph = ph - 1.0
            if (yp < 0.0) != (y < 0.0) and yp != y:
                t = yp / (yp - y)
                phc = ph_old + t * inc
                if phc >= 1.0:
                    phc = phc - 1.0
                e = phc - 0.5
                ph = ph - alpha * e
                fc = fc - beta * e
                if fc > fmax:
                    fc = fmax
                elif fc < -fmax:
                    fc = -fmax
                if ph < 0.0:
                    ph = ph + 1.0
                elif ph >= 1.0:
                    ph = ph - 1.0
            yp = y
    st[0] = ph
    st[1] = fc
    st[2] = dc
    st[3] = yp
    st[4] = base + n
    return k
