# cython: language_level=3
"""Per-sample kernels of the FSK receiver (sdrlink.protocols.fsk).

All kernels are stateless functions: the caller keeps the state (history
samples, loop variables) between blocks, so results do not depend on how the
stream is cut into blocks.
"""

from libc.math cimport M_PI, copysign, cos, fabs, fmax, fmin, sin, sqrt

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef inline double fast_atan2(double y, double x) noexcept nogil:
    """atan2 via a degree-11 odd polynomial on [0, 1] (max error about 1e-5 rad).

    Written with min/max/copysign and selects so that the compiler can avoid
    branches, which mispredict on noisy input.
    """
    cdef double ax = fabs(x), ay = fabs(y)
    cdef double hi = fmax(ax, ay), lo = fmin(ax, ay)
    cdef double z = lo / (hi + 1e-300), z2 = z * z, r
    r = z * (0.99997726 + z2 * (-0.33262347 + z2 * (0.19354346 + z2 * (-0.11643287
             + z2 * (0.05265332 - 0.01172120 * z2)))))
    r = (0.5 * M_PI - r) if ay > ax else r
    r = (M_PI - r) if x < 0.0 else r
    return copysign(r, y)


def fir_decim_f(const float[::1] buf, const float[::1] taps, Py_ssize_t start,
                Py_ssize_t step, float[::1] out):
    """Real FIR + decimation: out[k] = sum_j taps[j] * buf[start + k*step - j].

    ``buf`` must hold ``len(taps) - 1`` samples of history before ``start``.
    Computes outputs while ``start + k*step < len(buf)``; returns their count.
    Four partial sums keep the floating-point pipeline busy.
    """
    cdef Py_ssize_t nt = taps.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0, i, j, nt4 = nt - nt % 4
    cdef float a0, a1, a2, a3
    cdef const float* b
    with nogil:
        i = start
        while i < n and k < out.shape[0]:
            a0 = 0.0
            a1 = 0.0
            a2 = 0.0
            a3 = 0.0
            b = &buf[i]
            for j in range(0, nt4, 4):
                a0 = a0 + taps[j] * b[-j]
                a1 = a1 + taps[j + 1] * b[-j - 1]
                a2 = a2 + taps[j + 2] * b[-j - 2]
                a3 = a3 + taps[j + 3] * b[-j - 3]
            for j in range(nt4, nt):
                a0 = a0 + taps[j] * b[-j]
            out[k] = (a0 + a1) + (a2 + a3)
            k += 1
            i += step
    return k


def fir_decim_c(const float complex[::1] buf, const float[::1] taps, Py_ssize_t start,
                Py_ssize_t step, float complex[::1] out):
    """Complex-input version of :func:`fir_decim_f` (real taps)."""
    cdef Py_ssize_t nt = taps.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0, i, j, nt2 = nt - nt % 2
    cdef float r0, i0, r1, i1, t0, t1
    cdef const float* b
    with nogil:
        i = start
        while i < n and k < out.shape[0]:
            r0 = 0.0
            i0 = 0.0
            r1 = 0.0
            i1 = 0.0
            b = <const float*> &buf[i]  # interleaved re, im
            for j in range(0, nt2, 2):
                t0 = taps[j]
                t1 = taps[j + 1]
                r0 = r0 + t0 * b[-2 * j]
                i0 = i0 + t0 * b[-2 * j + 1]
                r1 = r1 + t1 * b[-2 * j - 2]
                i1 = i1 + t1 * b[-2 * j - 1]
            if nt2 < nt:
                t0 = taps[nt2]
                r0 = r0 + t0 * b[-2 * nt2]
                i0 = i0 + t0 * b[-2 * nt2 + 1]
            out[k].real = r0 + r1
            out[k].imag = i0 + i1
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
            out[i] = <float>(scale * fast_atan2(ci * pr - cr * pi_, cr * pr + ci * pi_))
            pr = cr
            pi_ = ci


def clock_recover(const float[::1] x, double[::1] st, double step, double alpha,
                  double beta, double dc_k, double att_k, double fmax, float[::1] sym,
                  double[::1] pos, float[::1] dcs):
    """Zero-crossing DPLL symbol synchroniser with DC tracking.

    ``st`` = [phase, freq_correction, dc, previous y, absolute index of x[0],
    upper envelope, lower envelope] is updated in place. The DC level is the
    midpoint of two envelope followers (attack ``att_k``, release ``dc_k``), so
    unbalanced patterns such as HDLC flag preambles do not bias it. The phase advances by ``step*(1+fcorr)`` per sample; a
    symbol is taken (linearly interpolated) each time it wraps past 1. Every
    zero crossing of the DC-free signal should fall at phase 0.5: its error
    corrects the phase (gain ``alpha``) and the rate (gain ``beta``, bounded by
    ``fmax``). Returns the number of symbols written to sym/pos/dcs.
    """
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i, k = 0, cap = sym.shape[0]
    cdef double ph = st[0], fc = st[1], dc = st[2], yp = st[3], base = st[4]
    cdef double hi = st[5], lo = st[6], v
    cdef double y, inc, ph_old, f, t, phc, e
    with nogil:
        for i in range(n):
            v = x[i]
            if v > hi:
                hi = hi + att_k * (v - hi)
            else:
                hi = hi + dc_k * (v - hi)
            if v < lo:
                lo = lo + att_k * (v - lo)
            else:
                lo = lo + dc_k * (v - lo)
            dc = 0.5 * (hi + lo)
            y = v - dc
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
    st[5] = hi
    st[6] = lo
    return k


cdef inline int _parity(unsigned int v) noexcept nogil:
    v ^= v >> 16
    v ^= v >> 8
    v ^= v >> 4
    v ^= v >> 2
    v ^= v >> 1
    return v & 1


def viterbi_r2(const unsigned char[::1] coded, int k, unsigned int poly0,
               unsigned int poly1, unsigned char[::1] out):
    """Hard-decision Viterbi decoder for a rate-1/2 convolutional code.

    The encoder register holds the newest bit in its LSB; each input bit gives
    the parities of ``register & poly0`` and ``register & poly1``. Any start
    state is allowed (the decoder may start mid-stream). Decodes
    ``len(coded) // 2`` bits into ``out``; returns the path metric (bit errors).
    """
    cdef int ns = 1 << (k - 1)
    cdef Py_ssize_t n = coded.shape[0] // 2
    cdef Py_ssize_t t
    cdef int s, b, reg, d, m, best, bm
    cdef int INF = 1 << 28
    if ns > 256:
        raise ValueError("constraint length too large")
    cdef int[256] metric
    cdef int[256] new
    hist_arr = np.zeros((max(n, 1), ns), dtype=np.uint8)
    cdef unsigned char[:, ::1] hist = hist_arr
    for s in range(ns):
        metric[s] = 0
    with nogil:
        for t in range(n):
            for d in range(ns):
                new[d] = INF
            for s in range(ns):
                for b in range(2):
                    reg = ((s << 1) | b) & ((1 << k) - 1)
                    m = metric[s] + (_parity(reg & poly0) != coded[2 * t]) \
                        + (_parity(reg & poly1) != coded[2 * t + 1])
                    d = reg & (ns - 1)
                    if m < new[d]:
                        new[d] = m
                        hist[t, d] = <unsigned char>s
            for d in range(ns):
                metric[d] = new[d]
        best = 0
        bm = metric[0]
        for s in range(1, ns):
            if metric[s] < bm:
                bm = metric[s]
                best = s
        s = best
        t = n - 1
        while t >= 0:
            out[t] = s & 1
            s = hist[t, s]
            t -= 1
    return bm


def afc_discriminate(const float complex[::1] x, const float[::1] taps,
                     float complex[::1] hist, double[::1] st, double fs,
                     double gain, double leak, double p_k, double fmax, double wide_k,
                     float[::1] out):
    """Frequency-locked narrow channel filter followed by an FM discriminator.

    Each sample is mixed down by the tracked carrier frequency ``f``, filtered
    by ``taps`` and discriminated; ``out`` is the instantaneous frequency in Hz
    *including* ``f`` (so its DC is still the carrier offset). The loop moves
    ``f`` by the power-normalised frequency error of the filtered signal
    (``gain``) plus ``wide_k`` times that of the unfiltered input (which pulls
    in signals still outside the narrow filter, and towards 0 in noise), leaks
    it back towards 0 (``leak``) so it cannot wander, and bounds it to
    +-``fmax``. The mixer's phase step is refreshed
    from ``f`` every 32 samples of the stream (counted absolutely, so block
    boundaries do not matter). ``hist`` holds 2*len(taps) samples (each sample
    is stored twice so the filter reads it contiguously).
    ``st`` = [phasor re, phasor im, f, power, prev re, prev im, hist pos,
    sample count, step re, step im, wide power, prev mixed re, prev mixed im,
    narrow error sum, wide error sum]; the loop is updated every 8 samples.
    """
    cdef Py_ssize_t n = x.shape[0], nt = taps.shape[0]
    cdef Py_ssize_t i, j, pos = <Py_ssize_t>st[6]
    cdef long long count = <long long>st[7]
    cdef double c = st[0], s = st[1], f = st[2], p = st[3], pr = st[4], pim = st[5]
    cdef double dc = st[8], ds = st[9], tmp, mag
    cdef double pw = st[10], qr = st[11], qi = st[12], acc_n = st[13], acc_w = st[14]
    cdef double xr, xi, zr, zi, cr, ci, e, scale = fs / (2.0 * M_PI)
    cdef float mr, mi, t, a0, a1, b0, b1
    cdef float* h = <float*> &hist[0]  # interleaved re, im
    cdef const float* hp
    if hist.shape[0] != 2 * nt:
        raise ValueError("history length must be twice the number of taps")
    with nogil:
        for i in range(n):
            if count % 32 == 0:
                dc = cos(2.0 * M_PI * f / fs)
                ds = sin(2.0 * M_PI * f / fs)
                mag = 1.0 / sqrt(c * c + s * s)
                c = c * mag
                s = s * mag
            count += 1
            xr = x[i].real
            xi = x[i].imag
            mr = <float>(xr * c + xi * s)
            mi = <float>(xi * c - xr * s)
            h[2 * pos] = mr
            h[2 * pos + 1] = mi
            h[2 * (pos + nt)] = mr
            h[2 * (pos + nt) + 1] = mi
            hp = h + 2 * (pos + nt)
            a0 = 0.0
            a1 = 0.0
            b0 = 0.0
            b1 = 0.0
            j = 0
            while j + 1 < nt:
                t = taps[j]
                a0 = a0 + t * hp[-2 * j]
                b0 = b0 + t * hp[-2 * j + 1]
                t = taps[j + 1]
                a1 = a1 + t * hp[-2 * j - 2]
                b1 = b1 + t * hp[-2 * j - 1]
                j += 2
            if j < nt:
                t = taps[j]
                a0 = a0 + t * hp[-2 * j]
                b0 = b0 + t * hp[-2 * j + 1]
            zr = a0 + a1
            zi = b0 + b1
            pos = pos + 1
            if pos == nt:
                pos = 0
            cr = zr * pr + zi * pim
            ci = zi * pr - zr * pim
            out[i] = <float>(scale * fast_atan2(ci, cr) + f)
            p = p + p_k * (zr * zr + zi * zi - p)
            pw = pw + p_k * (mr * mr + mi * mi - pw)
            acc_n = acc_n + ci
            acc_w = acc_w + (mi * qr - mr * qi)
            qr = mr
            qi = mi
            if count % 8 == 0:  # loop update every 8 samples of the stream
                if p > 0.0 and pw > 0.0:
                    # about 8x the frequency error in rad/sample where the signal dominates
                    e = acc_n / p + wide_k * acc_w / pw
                    f = f + gain * e * scale
                f = f - 8.0 * leak * f
                if f > fmax:
                    f = fmax
                elif f < -fmax:
                    f = -fmax
                acc_n = 0.0
                acc_w = 0.0
            tmp = c * dc - s * ds
            s = s * dc + c * ds
            c = tmp
            pr = zr
            pim = zi
    st[0] = c
    st[1] = s
    st[2] = f
    st[3] = p
    st[4] = pr
    st[5] = pim
    st[6] = pos
    st[7] = count
    st[8] = dc
    st[9] = ds
    st[10] = pw
    st[11] = qr
    st[12] = qi
    st[13] = acc_n
    st[14] = acc_w
