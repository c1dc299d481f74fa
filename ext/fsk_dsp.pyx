# cython: language_level=3
"""Per-sample kernels of the FSK receiver (sdrlink.protocols.fsk).

All kernels are stateless functions: the caller keeps the state (history
samples, loop variables) between blocks, so results do not depend on how the
stream is cut into blocks.
"""

from libc.math cimport M_PI, cos, fabs, floor, sin, sqrt
from kth cimport kth_smallest

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef extern from *:
    """
    /* Dot products for the FIR kernels. GCC/Clang vector extensions give
       portable SIMD (SSE on x86-64, NEON on ARM) without -ffast-math; other
       compilers get the same eight partial sums in scalar code. */
    /* The loops of the costliest kernels are built twice where GCC can pick at load
       time (x86-64 Linux, GCC 12 or later), as in ext/lora_dsp.pyx: for x86-64-v3
       (AVX2 with FMA: three-operand forms, fused multiply-adds) and for the
       baseline (SSE2). Same sums in the same order; the AVX2 build rounds once per
       multiply-add. The clone is chosen by the CPU's features. */
    #if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) \
        && defined(__linux__)
    #define FSK_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #else
    #define FSK_CLONES
    #endif
    #if defined(__GNUC__) || defined(__clang__)
    typedef float fsk_v4 __attribute__((vector_size(16)));
    static inline void fsk_sum8(const float* t, const float* b, Py_ssize_t m,
                                fsk_v4* lo, fsk_v4* hi) {
        fsk_v4 a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0}, a2 = {0, 0, 0, 0};
        fsk_v4 a3 = {0, 0, 0, 0}, tv, bv;
        Py_ssize_t j = 0;
        for (; j + 16 <= m; j += 16) {  /* four chains hide the add latency */
            __builtin_memcpy(&tv, t + j, 16); __builtin_memcpy(&bv, b + j, 16);
            a0 += tv * bv;
            __builtin_memcpy(&tv, t + j + 4, 16); __builtin_memcpy(&bv, b + j + 4, 16);
            a1 += tv * bv;
            __builtin_memcpy(&tv, t + j + 8, 16); __builtin_memcpy(&bv, b + j + 8, 16);
            a2 += tv * bv;
            __builtin_memcpy(&tv, t + j + 12, 16); __builtin_memcpy(&bv, b + j + 12, 16);
            a3 += tv * bv;
        }
        for (; j < m; j += 8) {
            __builtin_memcpy(&tv, t + j, 16); __builtin_memcpy(&bv, b + j, 16);
            a0 += tv * bv;
            __builtin_memcpy(&tv, t + j + 4, 16); __builtin_memcpy(&bv, b + j + 4, 16);
            a1 += tv * bv;
        }
        *lo = a0 + a2; *hi = a1 + a3;
    }
    /* fsk_sum8 for two windows at once: each tap vector is loaded once for both
       (the loads, not the arithmetic, bound a dot product); each window's sums run
       exactly as in fsk_sum8, so the results are the same bits. */
    static inline void fsk_sum8x2(const float* t, const float* b, const float* c,
                                  Py_ssize_t m, fsk_v4* lo_b, fsk_v4* hi_b,
                                  fsk_v4* lo_c, fsk_v4* hi_c) {
        fsk_v4 a0 = {0, 0, 0, 0}, a1 = {0, 0, 0, 0}, a2 = {0, 0, 0, 0};
        fsk_v4 a3 = {0, 0, 0, 0}, e0 = {0, 0, 0, 0}, e1 = {0, 0, 0, 0};
        fsk_v4 e2 = {0, 0, 0, 0}, e3 = {0, 0, 0, 0}, tv, bv;
        Py_ssize_t j = 0;
        /* four taps at t + j + o: into acc_b for window b, acc_c for window c */
        #define FSK_MAC2(o, acc_b, acc_c) \
            __builtin_memcpy(&tv, t + j + (o), 16); \
            __builtin_memcpy(&bv, b + j + (o), 16); acc_b += tv * bv; \
            __builtin_memcpy(&bv, c + j + (o), 16); acc_c += tv * bv;
        for (; j + 16 <= m; j += 16) {
            FSK_MAC2(0, a0, e0) FSK_MAC2(4, a1, e1) FSK_MAC2(8, a2, e2) FSK_MAC2(12, a3, e3)
        }
        for (; j < m; j += 8) {
            FSK_MAC2(0, a0, e0) FSK_MAC2(4, a1, e1)
        }
        #undef FSK_MAC2
        *lo_b = a0 + a2; *hi_b = a1 + a3; *lo_c = e0 + e2; *hi_c = e1 + e3;
    }
    static inline void fsk_dot8x2(const float* t, const float* b, const float* c,
                                  Py_ssize_t m, float* rb, float* rc) {
        fsk_v4 lb, hb, lc, hc, s;
        fsk_sum8x2(t, b, c, m, &lb, &hb, &lc, &hc);
        s = lb + hb;
        *rb = (s[0] + s[2]) + (s[1] + s[3]);
        s = lc + hc;
        *rc = (s[0] + s[2]) + (s[1] + s[3]);
    }
    static inline void fsk_cdot8x2(const float* t, const float* b, const float* c,
                                   Py_ssize_t m, float* re_b, float* im_b,
                                   float* re_c, float* im_c) {
        fsk_v4 lb, hb, lc, hc, s;
        fsk_sum8x2(t, b, c, m, &lb, &hb, &lc, &hc);
        s = lb + hb;
        *re_b = s[0] + s[2];
        *im_b = s[1] + s[3];
        s = lc + hc;
        *re_c = s[0] + s[2];
        *im_c = s[1] + s[3];
    }
    static inline float fsk_dot8(const float* t, const float* b, Py_ssize_t m) {
        fsk_v4 lo, hi, s;
        fsk_sum8(t, b, m, &lo, &hi);
        s = lo + hi;
        return (s[0] + s[2]) + (s[1] + s[3]);
    }
    static inline void fsk_cdot8(const float* t, const float* b, Py_ssize_t m,
                                 float* re, float* im) {
        fsk_v4 lo, hi, s;
        fsk_sum8(t, b, m, &lo, &hi);
        s = lo + hi;
        *re = s[0] + s[2];
        *im = s[1] + s[3];
    }
    #else
    static inline void fsk_sum8s(const float* t, const float* b, Py_ssize_t m, float* a) {
        Py_ssize_t j; int q;
        for (q = 0; q < 8; q++) a[q] = 0.0f;
        for (j = 0; j < m; j += 8)
            for (q = 0; q < 8; q++) a[q] += t[j + q] * b[j + q];
    }
    static inline float fsk_dot8(const float* t, const float* b, Py_ssize_t m) {
        float a[8];
        fsk_sum8s(t, b, m, a);
        return ((a[0] + a[4]) + (a[2] + a[6])) + ((a[1] + a[5]) + (a[3] + a[7]));
    }
    static inline void fsk_cdot8(const float* t, const float* b, Py_ssize_t m,
                                 float* re, float* im) {
        float a[8];
        fsk_sum8s(t, b, m, a);
        *re = (a[0] + a[4]) + (a[2] + a[6]);
        *im = (a[1] + a[5]) + (a[3] + a[7]);
    }
    static inline void fsk_dot8x2(const float* t, const float* b, const float* c,
                                  Py_ssize_t m, float* rb, float* rc) {
        *rb = fsk_dot8(t, b, m);
        *rc = fsk_dot8(t, c, m);
    }
    static inline void fsk_cdot8x2(const float* t, const float* b, const float* c,
                                   Py_ssize_t m, float* re_b, float* im_b,
                                   float* re_c, float* im_c) {
        fsk_cdot8(t, b, m, re_b, im_b);
        fsk_cdot8(t, c, m, re_c, im_c);
    }
    #endif
    /* atan2 of four (y, x) pairs at a time, in float: a degree-11 odd polynomial on
       [0, 1] (error about 1e-5 rad, far above float rounding) and branch-free selects
       for the octants (noisy input makes branches mispredict). The last partial
       group is padded, so every value comes from the same code whatever the
       length. out[i] = scale * atan2(y[i], x[i]) + add[i]. */
    FSK_CLONES
    static void fsk_atan2_hz(const float* y, const float* x, const float* add,
                             float scale, float* out, Py_ssize_t n) {
    #if defined(__GNUC__) || defined(__clang__)
        typedef int fsk_v4i __attribute__((vector_size(16)));
        const fsk_v4i absm = {0x7fffffff, 0x7fffffff, 0x7fffffff, 0x7fffffff};
        const fsk_v4i sgnm = ~absm;
        const fsk_v4 zero = {0, 0, 0, 0};
        const float hp = (float)(0.5 * M_PI), pf = (float)M_PI;
        Py_ssize_t i, j;
        for (i = 0; i < n; i += 4) {
            fsk_v4 yv = zero, xv = zero, av = zero, ax, ay, hi, lo, z, z2, r, res;
            fsk_v4i xi, yi, gt, ygt, neg;
            if (i + 4 <= n) {
                __builtin_memcpy(&yv, y + i, 16); __builtin_memcpy(&xv, x + i, 16);
                __builtin_memcpy(&av, add + i, 16);
            } else {
                for (j = 0; i + j < n; j++) { yv[j] = y[i + j]; xv[j] = x[i + j]; av[j] = add[i + j]; }
            }
            __builtin_memcpy(&xi, &xv, 16); __builtin_memcpy(&yi, &yv, 16);
            xi &= absm; yi &= absm;
            __builtin_memcpy(&ax, &xi, 16); __builtin_memcpy(&ay, &yi, 16);
            gt = ax > ay;
            ygt = ay > ax;
            {
                fsk_v4i a_, b_, h_, l_;
                __builtin_memcpy(&a_, &ax, 16); __builtin_memcpy(&b_, &ay, 16);
                h_ = (gt & a_) | (~gt & b_);
                l_ = (gt & b_) | (~gt & a_);
                __builtin_memcpy(&hi, &h_, 16); __builtin_memcpy(&lo, &l_, 16);
            }
            z = lo / (hi + 1e-30f);
            z2 = z * z;
            r = z * (0.99997726f + z2 * (-0.33262347f + z2 * (0.19354346f + z2 * (-0.11643287f
                    + z2 * (0.05265332f - 0.01172120f * z2)))));
            {
                fsk_v4 alt = hp - r;
                fsk_v4i r_, a_;
                __builtin_memcpy(&r_, &r, 16); __builtin_memcpy(&a_, &alt, 16);
                r_ = (ygt & a_) | (~ygt & r_);
                __builtin_memcpy(&r, &r_, 16);
                alt = pf - r;
                neg = xv < zero;
                __builtin_memcpy(&r_, &r, 16); __builtin_memcpy(&a_, &alt, 16);
                r_ = (neg & a_) | (~neg & r_);
                __builtin_memcpy(&yi, &yv, 16);
                r_ |= yi & sgnm;  /* r >= 0: take y's sign */
                __builtin_memcpy(&r, &r_, 16);
            }
            res = scale * r + av;
            if (i + 4 <= n) __builtin_memcpy(out + i, &res, 16);
            else for (j = 0; i + j < n; j++) out[i + j] = res[j];
        }
    #else
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            float ax = fabsf(x[i]), ay = fabsf(y[i]);
            float hi = ax > ay ? ax : ay, lo = ax > ay ? ay : ax;
            float z = lo / (hi + 1e-30f), z2 = z * z, r;
            r = z * (0.99997726f + z2 * (-0.33262347f + z2 * (0.19354346f + z2 * (-0.11643287f
                    + z2 * (0.05265332f - 0.01172120f * z2)))));
            r = ay > ax ? (float)(0.5 * M_PI) - r : r;
            r = x[i] < 0.0f ? (float)M_PI - r : r;
            out[i] = scale * copysignf(r, y[i]) + add[i];
        }
    #endif
    }
    /* fir_decim_f's and fir_decim_c's loops (see their docstrings): outputs at
       buffer positions start, start + step, ... below n, at most cap of them; two
       at a time where two remain (they share the taps' loads). */
    FSK_CLONES
    static Py_ssize_t fsk_fir_f_run(const float* buf, Py_ssize_t n, const float* rt,
                                    Py_ssize_t m, Py_ssize_t start, Py_ssize_t step,
                                    float* out, Py_ssize_t cap) {
        Py_ssize_t k = 0, i = start;
        while (i + step < n && k + 1 < cap) {
            fsk_dot8x2(rt, buf + i - m + 1, buf + i + step - m + 1, m, out + k, out + k + 1);
            k += 2;
            i += 2 * step;
        }
        while (i < n && k < cap) {
            out[k] = fsk_dot8(rt, buf + i - m + 1, m);
            k += 1;
            i += step;
        }
        return k;
    }
    FSK_CLONES
    static Py_ssize_t fsk_fir_c_run(const float* buf, Py_ssize_t n, const float* rt2,
                                    Py_ssize_t m2, Py_ssize_t start, Py_ssize_t step,
                                    float* out, Py_ssize_t cap) {
        /* buf and out interleaved (re, im); n and the positions in complex samples */
        Py_ssize_t k = 0, i = start, m = m2 / 2;
        while (i + step < n && k + 1 < cap) {
            fsk_cdot8x2(rt2, buf + 2 * (i - m + 1), buf + 2 * (i + step - m + 1), m2,
                        out + 2 * k, out + 2 * k + 1, out + 2 * k + 2, out + 2 * k + 3);
            k += 2;
            i += 2 * step;
        }
        while (i < n && k < cap) {
            fsk_cdot8(rt2, buf + 2 * (i - m + 1), m2, out + 2 * k, out + 2 * k + 1);
            k += 1;
            i += step;
        }
        return k;
    }
    /* afc_discriminate's loop (see its docstring): b holds the last nt mixed samples
       (interleaved) and room for 32 more; st as the docstring says. Returns the
       outputs' count; their cross products go to ys/xs and the loop frequency to fq. */
    FSK_CLONES
    static Py_ssize_t fsk_afc_run(const float* x, Py_ssize_t n, const float* rt2,
                                  Py_ssize_t m2, float* b, double* st, double fs,
                                  double gain, double leak, double p_k, double fmax,
                                  double wide_k, Py_ssize_t decim, float* ys, float* xs,
                                  float* fq, Py_ssize_t cap) {
        Py_ssize_t nt = m2 / 2, i = 0, j, j0, j1, q, k = 0;
        long long count = (long long)st[7], dmask = decim - 1;  /* decim: 1, 2, 4 or 8 */
        double c = st[0], s = st[1], f = st[2], p = st[3], pr = st[4], pim = st[5];
        double dc = st[8], ds = st[9], mag, wr, wi, tr_;
        double pw = st[10], qr = st[11], qi = st[12], acc_n = st[13], acc_w = st[14];
        double xr, xi, zr, zi, cr, ci, e, pk = p_k * decim;
        float mr, mi;
        double tabr[33], tabi[33];
        float zbr[32], zbi[32];
        while (i < n) {
            j0 = (Py_ssize_t)(count & 31);
            if (j0 == 0) {
                /* a new 32-sample period: the mixer's step from the loop's frequency
                   now, and the phasor renormalised */
                dc = cos(2.0 * M_PI * f / fs);
                ds = sin(2.0 * M_PI * f / fs);
                mag = 1.0 / sqrt(c * c + s * s);
                c = c * mag;
                s = s * mag;
            }
            j1 = j0 + (n - i);
            if (j1 > 32) j1 = 32;
            /* the phasor of each sample of the period: (c, s) times the step to the j */
            tabr[0] = 1.0;
            tabi[0] = 0.0;
            for (j = 0; j < j1; j++) {
                tabr[j + 1] = tabr[j] * dc - tabi[j] * ds;
                tabi[j + 1] = tabi[j] * dc + tabr[j] * ds;
            }
            /* mix the period's samples behind the history (independent of each other) */
            for (j = j0; j < j1; j++) {
                wr = c * tabr[j] - s * tabi[j];
                wi = s * tabr[j] + c * tabi[j];
                xr = x[2 * (i + j - j0)];
                xi = x[2 * (i + j - j0) + 1];
                q = 2 * (nt + j - j0);
                b[q] = (float)(xr * wr + xi * wi);
                b[q + 1] = (float)(xi * wr - xr * wi);
            }
            /* the narrow filter where outputs are due (count + j - j0 a multiple of decim) */
            for (j = j0; j < j1; j++)
                if (((count + j - j0) & dmask) == 0)
                    fsk_cdot8(rt2, b + 2 * (j - j0 + 1), m2, &zbr[j], &zbi[j]);
            /* then the loop's own state, sample by sample in stream order */
            for (j = j0; j < j1; j++) {
                q = 2 * (nt + j - j0);
                mr = b[q];
                mi = b[q + 1];
                if ((count & dmask) == 0 && k < cap) {
                    zr = zbr[j];
                    zi = zbi[j];
                    cr = zr * pr + zi * pim;
                    ci = zi * pr - zr * pim;
                    ys[k] = (float)ci;
                    xs[k] = (float)cr;
                    fq[k] = (float)f;
                    k += 1;
                    p = p + pk * (zr * zr + zi * zi - p);
                    acc_n = acc_n + ci;
                    pr = zr;
                    pim = zi;
                }
                count += 1;
                pw = pw + p_k * (mr * mr + mi * mi - pw);
                acc_w = acc_w + (mi * qr - mr * qi);
                qr = mr;
                qi = mi;
                if ((count & 7) == 0) {  /* loop update every 8 samples of the stream */
                    if (p > 0.0 && pw > 0.0) {
                        e = acc_n / p + wide_k * acc_w / pw;
                        f = f + gain * e * (fs / (2.0 * M_PI));
                    }
                    f = f - 8.0 * leak * f;
                    if (f > fmax) f = fmax;
                    else if (f < -fmax) f = -fmax;
                    acc_n = 0.0;
                    acc_w = 0.0;
                }
            }
            /* keep the newest nt samples at the buffer's start */
            q = j1 - j0;
            for (j = 0; j < 2 * nt; j++) b[j] = b[j + 2 * q];
            i += q;
            if (j1 == 32) {  /* the period is over: its last phasor, one step on */
                tr_ = c * tabr[32] - s * tabi[32];
                s = s * tabr[32] + c * tabi[32];
                c = tr_;
            }
        }
        st[0] = c; st[1] = s; st[2] = f; st[3] = p; st[4] = pr; st[5] = pim;
        st[7] = (double)count; st[8] = dc; st[9] = ds; st[10] = pw; st[11] = qr;
        st[12] = qi; st[13] = acc_n; st[14] = acc_w;
        return k;
    }
    """
    void _cdot8 "fsk_cdot8" (const float* t, const float* b, Py_ssize_t m, float* re,
                             float* im) noexcept nogil
    void _atan2_hz "fsk_atan2_hz" (const float* y, const float* x, const float* add,
                                   float scale, float* out, Py_ssize_t n) noexcept nogil
    Py_ssize_t _afc_run "fsk_afc_run" (const float* x, Py_ssize_t n, const float* rt2,
                                       Py_ssize_t m2, float* b, double* st, double fs,
                                       double gain, double leak, double p_k, double fmax,
                                       double wide_k, Py_ssize_t decim, float* ys, float* xs,
                                       float* fq, Py_ssize_t cap) noexcept nogil
    Py_ssize_t _fir_f_run "fsk_fir_f_run" (const float* buf, Py_ssize_t n, const float* rt,
                                           Py_ssize_t m, Py_ssize_t start, Py_ssize_t step,
                                           float* out, Py_ssize_t cap) noexcept nogil
    Py_ssize_t _fir_c_run "fsk_fir_c_run" (const float* buf, Py_ssize_t n, const float* rt2,
                                           Py_ssize_t m2, Py_ssize_t start, Py_ssize_t step,
                                           float* out, Py_ssize_t cap) noexcept nogil


def fir_decim_f(const float[::1] buf, const float[::1] rtaps, Py_ssize_t start,
                Py_ssize_t step, float[::1] out):
    """Real FIR + decimation: out[k] = sum_m rtaps[m] * buf[start + k*step - M + 1 + m].

    ``rtaps`` are the taps in reverse time order, M = len(rtaps) a multiple of 8
    (zero-padded), so each output is a forward dot product the compiler can
    vectorise. ``buf`` must hold M - 1 samples of history before ``start``.
    Computes outputs while ``start + k*step < len(buf)``; returns their count.
    """
    cdef Py_ssize_t m = rtaps.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0
    if m % 8:
        raise ValueError("tap count must be a multiple of 8")
    if start >= n or out.shape[0] == 0:
        return 0
    with nogil:
        k = _fir_f_run(&buf[0], n, &rtaps[0], m, start, step, &out[0], out.shape[0])
    return k


def fir_decim_c(const float complex[::1] buf, const float[::1] rtaps2, Py_ssize_t start,
                Py_ssize_t step, float complex[::1] out):
    """Complex-input version of :func:`fir_decim_f` with real taps.

    ``rtaps2`` holds each reversed tap twice (one for re, one for im): its
    length 2*M is a multiple of 8 and ``buf`` needs M - 1 samples of history.
    """
    cdef Py_ssize_t m2 = rtaps2.shape[0]
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0
    if m2 % 8:
        raise ValueError("doubled tap count must be a multiple of 8")
    if start >= n or out.shape[0] == 0:
        return 0
    with nogil:
        k = _fir_c_run(<const float*> &buf[0], n, &rtaps2[0], m2, start, step,
                       <float*> &out[0], out.shape[0])
    return k


def discriminate(const float complex[::1] x, float complex prev, double scale,
                 float[::1] out):
    """FM discriminator: out[i] = scale * arg(x[i] * conj(x[i-1])), x[-1] = ``prev``.

    The cross products go to scratch rows first, then the angles four at a
    time in float (:c:func:`fsk_atan2_hz`).
    """
    cdef Py_ssize_t n = x.shape[0]
    cdef Py_ssize_t i
    cdef float pr = prev.real, pi_ = prev.imag, cr, ci
    if out.shape[0] < n:
        raise ValueError("output shorter than the input")
    if n == 0:
        return
    scratch = np.zeros((3, n), np.float32)
    cdef float[:, ::1] sc = scratch
    cdef float* ys = &sc[0, 0]
    cdef float* xs = &sc[1, 0]
    cdef float* zero = &sc[2, 0]
    with nogil:
        for i in range(n):
            cr = x[i].real
            ci = x[i].imag
            ys[i] = ci * pr - cr * pi_
            xs[i] = cr * pr + ci * pi_
            pr = cr
            pi_ = ci
        _atan2_hz(ys, xs, zero, <float>scale, &out[0], n)


cdef void _follow(const float* x, Py_ssize_t n, double* hi_, double* lo_, double dc_k,
                  double att_k, double* y, float* d) noexcept nogil:
    """The DC followers of :func:`clock_recover`: y = x - dc, and dc as float."""
    cdef Py_ssize_t i
    cdef double hi = hi_[0], lo = lo_[0], v, va, vd, dc
    cdef double att_m = 1.0 - att_k, dc_m = 1.0 - dc_k
    for i in range(n):
        v = x[i]
        # both followers' candidates, then a select (noise makes branches
        # unpredictable); written as (1 - k) * h + k * v, the loop-carried path
        # through h is one multiply and one add
        va = att_k * v
        vd = dc_k * v
        hi = (att_m * hi + va) if v > hi else (dc_m * hi + vd)
        lo = (att_m * lo + va) if v < lo else (dc_m * lo + vd)
        dc = 0.5 * (hi + lo)
        y[i] = v - dc
        d[i] = <float>dc
    hi_[0] = hi
    lo_[0] = lo


cdef Py_ssize_t _dpll(const double* yy, const float* dd, Py_ssize_t n, double* st,
                      double step, double alpha, double beta, double fmax, float* sym,
                      double* pos, float* dcs, Py_ssize_t cap) noexcept nogil:
    """The symbol clock of :func:`clock_recover` on the DC-free signal ``yy``;
    ``st`` = [phase, freq_correction, (unused), previous y, absolute index]."""
    cdef Py_ssize_t i, k = 0
    cdef double ph = st[0], fc = st[1], yp = st[3], base = st[4]
    cdef double y, inc, ph_old, f, t, phc, e
    for i in range(n):
        y = yy[i]
        inc = step * (1.0 + fc)
        ph_old = ph
        ph = ph + inc
        if ph >= 1.0:
            f = (1.0 - ph_old) / inc
            if k < cap:
                sym[k] = <float>(yp + f * (y - yp))
                pos[k] = base + i - 1.0 + f
                dcs[k] = dd[i]
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
            # a correction never wraps the phase: wrapping would take a symbol
            # twice or skip one (a slip that ruins the rest of the frame)
            if ph < 0.0:
                ph = 0.0
            elif ph >= 1.0:
                ph = 0.999999
        yp = y
    st[0] = ph
    st[1] = fc
    st[3] = yp
    st[4] = base + n
    return k


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
    ``fmax``); it is clamped, not wrapped, at the symbol boundary so that a
    noisy crossing near the sampling instant cannot slip a symbol. Returns the
    number of symbols written to sym/pos/dcs.
    The two halves are also kernels of their own (:func:`dc_follow`,
    :func:`symbol_clock`), so that synchronisers sharing the DC settings share
    the followers' pass.
    """
    cdef Py_ssize_t n = x.shape[0]
    if st.shape[0] < 7 or pos.shape[0] < sym.shape[0] or dcs.shape[0] < sym.shape[0]:
        raise ValueError("state must hold 7 values; pos and dcs as long as sym")
    y_arr = np.empty(max(n, 1), np.float64)
    d_arr = np.empty(max(n, 1), np.float32)
    cdef double[::1] y = y_arr
    cdef float[::1] d = d_arr
    cdef Py_ssize_t k = 0
    with nogil:
        if n:
            _follow(&x[0], n, &st[5], &st[6], dc_k, att_k, &y[0], &d[0])
            st[2] = 0.5 * (st[5] + st[6])  # the last sample's DC
        k = _dpll(&y[0], &d[0], n, &st[0], step, alpha, beta, fmax,
                  &sym[0] if sym.shape[0] else NULL, &pos[0] if pos.shape[0] else NULL,
                  &dcs[0] if dcs.shape[0] else NULL, sym.shape[0])
    return k


def dc_follow(const float[::1] x, double[::1] st, double dc_k, double att_k,
              double[::1] y, float[::1] dc):
    """The DC tracking of :func:`clock_recover` alone: y = x - dc and the dc level
    per sample; ``st`` = [upper envelope, lower envelope], updated in place."""
    cdef Py_ssize_t n = x.shape[0]
    if st.shape[0] < 2 or y.shape[0] < n or dc.shape[0] < n:
        raise ValueError("state must hold 2 values; outputs as long as the input")
    if n:
        with nogil:
            _follow(&x[0], n, &st[0], &st[1], dc_k, att_k, &y[0], &dc[0])


def symbol_clock(const double[::1] y, const float[::1] dc, double[::1] st, double step,
                 double alpha, double beta, double fmax, float[::1] sym, double[::1] pos,
                 float[::1] dcs):
    """The symbol clock of :func:`clock_recover` on ``y`` (the signal less its DC, from
    :func:`dc_follow`); ``st`` = [phase, freq_correction, (unused), previous y,
    absolute index of y[0]]. Returns the number of symbols written."""
    cdef Py_ssize_t n = y.shape[0], k = 0
    if st.shape[0] < 5 or dc.shape[0] < n:
        raise ValueError("state must hold 5 values; dc as long as y")
    if pos.shape[0] < sym.shape[0] or dcs.shape[0] < sym.shape[0]:
        raise ValueError("pos and dcs must be as long as sym")
    if n:
        with nogil:
            k = _dpll(&y[0], &dc[0], n, &st[0], step, alpha, beta, fmax,
                      &sym[0] if sym.shape[0] else NULL, &pos[0] if pos.shape[0] else NULL,
                      &dcs[0] if dcs.shape[0] else NULL, sym.shape[0])
    return k


def afc_discriminate(const float complex[::1] x, const float[::1] rtaps2,
                     float complex[::1] hist, double[::1] st, double fs,
                     double gain, double leak, double p_k, double fmax, double wide_k,
                     Py_ssize_t decim, float[::1] out):
    """Frequency-locked narrow channel filter followed by an FM discriminator.

    Each sample is mixed down by the tracked carrier frequency ``f``; every
    ``decim``-th sample of the stream (counted absolutely) the mixed signal is
    filtered by the taps and discriminated against the previous filtered
    sample, so the output rate is ``fs / decim``. ``out`` is the frequency in Hz
    *including* ``f`` (so its DC is still the carrier offset). Filtering only
    where an output is due is what makes the stage cheap: decimating here is
    a boxcar on the discriminator output (the phase step over ``decim`` samples
    is the sum of the single steps), which the matched filter follows anyway.
    The loop moves ``f`` by the power-normalised frequency error of the
    filtered signal (``gain``) plus ``wide_k`` times that of the unfiltered
    input (which pulls in signals still outside the narrow filter, and towards
    0 in noise), leaks it back towards 0 (``leak``) so it cannot wander, and
    bounds it to +-``fmax``; it is updated every 8 samples of the stream
    (``decim`` must divide 8: the narrow error summed over 8 samples then
    measures the same phase advance whatever ``decim`` is).
    The mixer's step follows ``f`` only at the start of each 32-sample period
    of the stream, so the samples of a period are mixed first (each from the
    period's phasor times a power of the step: independent of each other),
    then filtered where outputs are due (independent dot products), and only
    then does the loop run through them in order: the same results as a
    sample-by-sample loop, without its serial dependencies.
    ``rtaps2`` are the reversed taps, each twice, zero-padded to M taps
    (2*M a multiple of 8); ``hist`` holds the last M mixed samples, oldest
    first. ``st`` (16 values) = [period phasor re, im, f, narrow power,
    previous filtered re, im, (unused), sample count, mixer step re, im, wide
    power, previous mixed re, im, narrow error sum, wide error sum, (unused)].
    Returns the number of outputs written; the atan2 runs last, four at a
    time in float (:c:func:`fsk_atan2_hz`). The loop is C (``fsk_afc_run``),
    built also for AVX2 with FMA where the CPU has them.
    """
    cdef Py_ssize_t n = x.shape[0], m2 = rtaps2.shape[0], nt = m2 // 2
    cdef Py_ssize_t j, k = 0, cap = out.shape[0]
    cdef double scale = fs / (2.0 * M_PI * decim)
    if hist.shape[0] != nt or m2 % 8 or m2 == 0:
        raise ValueError("history must hold the (padded) taps; 2*taps % 8 == 0")
    if st.shape[0] < 16:
        raise ValueError("state must hold 16 values")
    if decim < 1 or 8 % decim:
        raise ValueError("decimation must divide 8")
    if n == 0:
        return 0
    # the discriminator's atan2 runs in a second, branch-free loop over these
    scratch = np.empty((3, max(cap, 1)), np.float32)
    cdef float[:, ::1] sc = scratch
    cdef float* ys = &sc[0, 0]
    cdef float* xs = &sc[1, 0]
    cdef float* fs_ = &sc[2, 0]
    # the last nt mixed samples, then up to 32 new ones, contiguous (re, im)
    buf = np.empty(2 * (nt + 32), np.float32)
    cdef float[::1] bv = buf
    cdef float* b = &bv[0]
    cdef float* h = <float*> &hist[0]
    with nogil:
        for j in range(2 * nt):
            b[j] = h[j]
        k = _afc_run(<const float*> &x[0], n, &rtaps2[0], m2, b, &st[0], fs, gain, leak, p_k,
                     fmax, wide_k, decim, ys, xs, fs_, cap)
        for j in range(2 * nt):
            h[j] = b[j]
        if k:
            _atan2_hz(ys, xs, fs_, <float>scale, &out[0], k)
    return k


def dc_block_mix(const float[::1] x, double[::1] st, double a, double cyc,
                 float complex[::1] out):
    """One-pole DC blocker, then a mix down by ``cyc`` cycles per sample.

    y[n] = (1+a)/2 * (x[n] - x[n-1]) + a*y[n-1];  out[n] = y[n] * exp(-2j*pi*cyc*n)
    with n the absolute sample count. The phasor advances by a rotation and is
    recomputed from n every 256 samples of the stream, so it neither drifts
    nor depends on block boundaries (a block starting in between repeats the
    rotations since the last recomputation). ``st`` = [x[-1], y[-1], n].
    """
    cdef Py_ssize_t n = x.shape[0], i
    cdef double xp = st[0], yp = st[1], g = 0.5 * (1.0 + a), v, tmp, ph
    cdef long long count = <long long>st[2]
    cdef double c = 1.0, s = 0.0
    cdef double dc = cos(2.0 * M_PI * cyc), ds = -sin(2.0 * M_PI * cyc)
    if out.shape[0] < n:
        raise ValueError("output shorter than input")
    cdef long long j, back
    with nogil:
        for i in range(n):
            if i == 0 or count % 256 == 0:
                # the exact phasor at the last multiple of 256, then (at a block's start
                # in between) the same rotations the uncut stream made since: bit for bit
                # the phasor an uncut stream has here
                back = count % 256
                ph = cyc * <double>(count - back)
                ph = ph - <double>(<long long>ph)
                c = cos(2.0 * M_PI * ph)
                s = -sin(2.0 * M_PI * ph)
                for j in range(back):
                    tmp = c * dc - s * ds
                    s = s * dc + c * ds
                    c = tmp
            v = x[i]
            yp = g * (v - xp) + a * yp
            xp = v
            out[i].real = <float>(yp * c)
            out[i].imag = <float>(yp * s)
            tmp = c * dc - s * ds
            s = s * dc + c * ds
            c = tmp
            count += 1
    st[0] = xp
    st[1] = yp
    st[2] = <double>count
    return n


def group_sum_window(const float complex[::1] seg, Py_ssize_t dec, const float[::1] window,
                     float complex[::1] out):
    """out[k] = window[k] * (seg[k*dec] + ... + seg[k*dec + dec - 1]), summed in float32
    in that order; for k < len(window) (``seg`` must hold dec * len(window) samples).

    The carrier search's decimation: sums of ``dec`` consecutive samples keep white
    noise white and the searched band within the new rate, and the window goes on in
    the same pass.
    """
    cdef Py_ssize_t m = window.shape[0], k, j, i
    cdef float re, im
    if seg.shape[0] < m * dec or out.shape[0] < m:
        raise ValueError("segment shorter than dec * len(window), or output too short")
    with nogil:
        for k in range(m):
            i = k * dec
            re = seg[i].real
            im = seg[i].imag
            for j in range(1, dec):
                re = re + seg[i + j].real
                im = im + seg[i + j].imag
            out[k].real = window[k] * re
            out[k].imag = window[k] * im
    return m


def welch_power(const float complex[:, ::1] spectra, const long long[::1] order,
                float[::1] power, double[::1] csum):
    """power[i] = mean over the rows l of |spectra[l, order[i]]|^2 (float32) and
    csum[i + 1] = csum[i] + power[i] (float64, csum[0] = 0): the searched bins of an
    averaged spectrum, in frequency order, and their running sum for window sums
    in constant time."""
    cdef Py_ssize_t n = order.shape[0], rows = spectra.shape[0], i, l
    cdef float re, im, acc_p
    cdef double acc = 0.0
    if power.shape[0] < n or csum.shape[0] < n + 1 or rows < 1:
        raise ValueError("outputs too short")
    with nogil:
        csum[0] = 0.0
        for i in range(n):
            acc_p = 0.0
            for l in range(rows):
                re = spectra[l, order[i]].real
                im = spectra[l, order[i]].imag
                acc_p = acc_p + (re * re + im * im)
            power[i] = acc_p / rows
            acc = acc + power[i]
            csum[i + 1] = acc
    return n


def search_stats(const float[::1] power, const double[::1] csum, Py_ssize_t width,
                 Py_ssize_t q, float[::1] scratch):
    """(q-th smallest bin power, start of the ``width``-bin window with the most energy,
    that energy) of a carrier-search spectrum; ``csum`` is the running sum of
    ``power`` (csum[0] = 0), ``scratch`` a buffer as long as ``power``."""
    cdef Py_ssize_t n = power.shape[0], k, best = 0
    cdef double s, top = -1.0
    cdef float qv
    if scratch.shape[0] < n or csum.shape[0] < n + 1 or not 0 <= q < n or not 0 < width <= n:
        raise ValueError("bad sizes")
    with nogil:
        for k in range(n):
            scratch[k] = power[k]
        qv = kth_smallest(&scratch[0], n, q)
        for k in range(n - width + 1):
            s = csum[k + width] - csum[k]
            if s > top:
                top = s
                best = k
    return float(qv), best, top


def two_tone_peak(const double[::1] csum, Py_ssize_t h, Py_ssize_t d):
    """j maximising the energy of bins j .. j+2h plus bins j+2d .. j+2d+2h (two tones 2d
    bins apart, each 2h+1 bins wide), from the running sum ``csum``; -1 if none fits."""
    cdef Py_ssize_t n = csum.shape[0] - 1, w = 2 * h + 1, j, best = -1
    cdef double s, top = -1.0
    with nogil:
        for j in range(n - w - 2 * d + 1):
            s = (csum[j + w] - csum[j]) + (csum[j + 2 * d + w] - csum[j + 2 * d])
            if s > top:
                top = s
                best = j
    return best


def symbol_freqs(const float complex[::1] z, const float[::1] rtaps2, Py_ssize_t ntaps,
                 double cyc, const double[::1] edges, double[::1] out):
    """Mean frequency (cycles per sample) between consecutive ``edges`` of ``z``
    mixed down by ``cyc`` cycles per sample and low-pass filtered, with ``cyc``
    added back.

    ``rtaps2`` are a symmetric filter's ``ntaps`` (odd) taps as the complex FIR
    kernels take them (reversed, zero-padded at the old end to M taps, each
    twice: 2M a multiple of 8); the filtered sample n is centred on z[n]. The
    phase of the filtered signal is accumulated sample by sample (the
    polynomial atan2 of each step) and read at the edges by linear
    interpolation, so out[k] is (phase(edges[k+1]) - phase(edges[k])) /
    (2 pi (edges[k+1] - edges[k])) + cyc. Edges are positions in ``z``; they
    must increase and keep M samples of margin at either end.
    The work runs in passes that each vectorise: the mix (an exact phasor at
    every 64th sample times a table of the steps after it), the filter, the
    phase steps (four atan2 at a time in float), then their running sum.
    """
    cdef Py_ssize_t n = z.shape[0], m2 = rtaps2.shape[0], M = rtaps2.shape[0] // 2
    cdef Py_ssize_t pad = (ntaps - 1) // 2, ne = edges.shape[0], lo, hi, first, i, k, c
    cdef Py_ssize_t j, cnt, nw
    cdef double ph0, acc, frac, br, bi, a_ph = 0.0, b_ph, e
    cdef float yr, yi, pr, pim
    cdef double tr[64]
    cdef double ti[64]
    cdef float qr[64]
    cdef float qi[64]
    if ntaps % 2 == 0 or ntaps > M or m2 % 8 or ne < 2 or out.shape[0] < ne - 1:
        raise ValueError("odd tap count within the padded taps (2M % 8 == 0), two edges")
    lo = <Py_ssize_t>floor(edges[0])
    hi = <Py_ssize_t>floor(edges[ne - 1]) + 1
    # the filtered sample j reads mixed samples j + pad - M + 1 .. j + pad
    first = lo + pad - M + 1
    if first < 0 or hi + pad >= n:
        raise ValueError("edges too close to the ends of z")
    for k in range(1, ne):
        if not edges[k] > edges[k - 1]:
            raise ValueError("edges must increase")
    nw = hi + pad + 1 - first
    w_arr = np.empty(2 * nw, np.float32)  # interleaved re, im
    ph_arr = np.empty(hi - lo + 1, np.float64)
    # per filtered sample from the second on: the step's cross products, then its angle
    st_arr = np.zeros((3, hi - lo), np.float32)
    cdef float[::1] w = w_arr
    cdef double[::1] ph = ph_arr
    cdef float[:, ::1] sv = st_arr
    cdef const float* zf = <const float*> &z[0]
    cdef float* cre = &sv[0, 0]
    cdef float* cim = &sv[1, 0]
    cdef float* ang = &sv[2, 0]
    with nogil:
        for j in range(64):
            ph0 = cyc * <double>j
            ph0 = ph0 - floor(ph0)
            tr[j] = cos(2.0 * M_PI * ph0)
            ti[j] = -sin(2.0 * M_PI * ph0)
        c = 0
        while c < nw:
            # the exact phasor at sample first + c (a multiple of 64 from ``first``)
            ph0 = cyc * <double>(first + c)
            ph0 = ph0 - floor(ph0)
            br = cos(2.0 * M_PI * ph0)
            bi = -sin(2.0 * M_PI * ph0)
            cnt = 64 if c + 64 <= nw else nw - c
            for j in range(cnt):
                qr[j] = <float>(br * tr[j] - bi * ti[j])
                qi[j] = <float>(br * ti[j] + bi * tr[j])
            for j in range(cnt):
                i = first + c + j
                w[2 * (c + j)] = zf[2 * i] * qr[j] - zf[2 * i + 1] * qi[j]
                w[2 * (c + j) + 1] = zf[2 * i] * qi[j] + zf[2 * i + 1] * qr[j]
            c += cnt
        _cdot8(&rtaps2[0], &w[2 * (lo + pad - M + 1 - first)], m2, &pr, &pim)
        for i in range(lo + 1, hi + 1):
            _cdot8(&rtaps2[0], &w[2 * (i + pad - M + 1 - first)], m2, &yr, &yi)
            cim[i - lo - 1] = yi * pr - yr * pim
            cre[i - lo - 1] = yr * pr + yi * pim
            pr = yr
            pim = yi
        # ang = atan2(cim, cre) (the zeros already in ang are the term added)
        _atan2_hz(cim, cre, ang, 1.0, ang, hi - lo)
        acc = 0.0
        ph[0] = 0.0
        for i in range(hi - lo):
            acc += ang[i]
            ph[i + 1] = acc
        for k in range(ne):
            e = edges[k] - lo
            c = <Py_ssize_t>floor(e)
            if c >= hi - lo:
                c = hi - lo - 1
            frac = e - c
            b_ph = ph[c] + frac * (ph[c + 1] - ph[c])
            if k > 0:
                out[k - 1] = (b_ph - a_ph) / (2.0 * M_PI * (edges[k] - edges[k - 1])) + cyc
            a_ph = b_ph
    return ne - 1


def soft_limit(const double[::1] past, const float[::1] s, Py_ssize_t half, double k,
               float[::1] out):
    """Clip each of ``out``'s symbols ``s[j]`` to +-``k`` times the mean magnitude over
    the centred window ``[at - half, at + half]`` of the sequence ``past`` (earlier
    magnitudes), then ``|s|``, cut at its ends, where ``at = len(past) + j``.

    The window sum slides (added and dropped in double precision); ``out`` may be
    shorter than ``s`` (symbols still waiting for their look-ahead). Returns the
    number of symbols written.
    """
    cdef Py_ssize_t n = out.shape[0], npast = past.shape[0], m, j, at, lo, hi, a = 0, b = 0
    cdef double acc = 0.0, lim
    cdef float v, top
    m = npast + s.shape[0]
    if s.shape[0] < n:
        raise ValueError("fewer symbols than outputs")
    with nogil:
        for j in range(n):
            at = npast + j
            lo = at - half
            if lo < 0:
                lo = 0
            hi = at + half + 1
            if hi > m:
                hi = m
            while b < hi:  # the window's ends only move forwards
                acc = acc + (past[b] if b < npast else fabs(s[b - npast]))
                b += 1
            while a < lo:
                acc = acc - (past[a] if a < npast else fabs(s[a - npast]))
                a += 1
            lim = k * acc / (hi - lo)
            # min / max as selects (noisy symbols make a branch a coin toss)
            v = s[j]
            top = <float>lim
            v = v if v < top else top
            v = v if v > -top else -top
            out[j] = v
    return n

