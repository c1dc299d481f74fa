# cython: language_level=3
# distutils: extra_compile_args = -O3 -ffast-math
"""LoRa receiver kernels: channel-selection FIRs, dechirping, timing phase steps.

The FIRs (``fir_rational``, ``fir_halfband``, ``fir_track``) compute
    out[k] = sum_t x[base[k] + t] * bank[phase[k], t]
i.e. a low-pass interpolating filter evaluated at input positions that
depend only on absolute sample indices, never on how the input was blocked.
``fir_rational`` and ``fir_track`` take their bank with every tap doubled
(``np.repeat(bank, 2, axis=1)``: one per real/imaginary lane), which keeps
the inner loop a plain packed multiply-add. Their loops are C functions that
GCC builds twice on x86-64 Linux (AVX2 with FMA, and the baseline), picked when
the module loads. ``dechirp_shift``,
``fold_phase_jump``, ``pair_power`` and ``trigger_stats`` serve the
detector and the symbol tracker.
"""

import numpy as np
cimport numpy as cnp

cnp.import_array()

cdef extern from "math.h" nogil:
    double cos(double)
    double sin(double)
    double atan2(double, double)
    double floor(double)
    double fabs(double)
    double nearbyint(double)
    float sqrtf(float)

cdef double _TWO_PI = 6.283185307179586

cdef extern from *:
    """
    /* The FIR loops in C, built twice where GCC can pick at load time (x86-64
       Linux, GCC 12 or later): for x86-64-v3 (AVX2 with FMA: 8 lanes, fused
       multiply-adds) and for the baseline the compiler targets (SSE2 on x86-64).
       Same sums in the same order; the AVX2 build rounds once per multiply-add.
       The clone is chosen by the CPU's features: "arch=haswell" would be chosen
       by CPU model (Intel Haswell only), never on AMD or later Intel parts. */
    #if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 12 && defined(__x86_64__) \
        && defined(__linux__)
    #define LORA_CLONES __attribute__((target_clones("arch=x86-64-v3", "default")))
    #else
    #define LORA_CLONES
    #endif

    /* sum_t x[t] * h[t] over m interleaved floats (complex x, taps h doubled):
       sixteen lanes, even ones summing real parts, odd ones imaginary parts. */
    #if defined(__GNUC__)
    #define LORA_INLINE static inline __attribute__((always_inline))
    #else
    #define LORA_INLINE static inline
    #endif
    LORA_INLINE void lora_dot(const float* xp, const float* hh, Py_ssize_t m,
                              float* re, float* im) {
        float a[16];
        Py_ssize_t i = 0, j;
        for (j = 0; j < 16; j++) a[j] = 0;
        for (; i + 15 < m; i += 16)
            for (j = 0; j < 16; j++) a[j] += xp[i + j] * hh[i + j];
        for (; i + 1 < m; i += 2) {
            a[0] += xp[i] * hh[i];
            a[1] += xp[i + 1] * hh[i + 1];
        }
        for (j = 2; j < 16; j++) a[j & 1] += a[j];
        *re = a[0];
        *im = a[1];
    }

    /* fir_track's loop: outputs at positions p0 + i*step (see its docstring). */
    LORA_CLONES
    static void lora_fir_track(const float* x, double p0, double step, long long a,
                               long long half, long long phases, const float* bank2,
                               float* out, Py_ssize_t n) {
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            double pos = p0 + (double)i * step, fpos = floor(pos);
            long long q = (long long)nearbyint((pos - fpos) * phases), fl = (long long)fpos;
            if (q >= phases) {
                q -= phases;
                fl += 1;
            }
            lora_dot(x + 2 * (fl - half + 1 - a), bank2 + q * 4 * half, 4 * half,
                     out + 2 * i, out + 2 * i + 1);
        }
    }

    /* fir_rational's loop: outputs k0..k1-1 at input positions k*num/den. */
    LORA_CLONES
    static void lora_fir_rational(const float* x, long long x0, long long k0, Py_ssize_t n,
                                  long long num, long long den, long long half,
                                  const float* bank2, float* out) {
        Py_ssize_t i;
        for (i = 0; i < n; i++) {
            long long prod = (k0 + i) * num;
            long long b = prod / den - half + 1 - x0, ph = prod % den;
            lora_dot(x + 2 * b, bank2 + ph * 4 * half, 4 * half, out + 2 * i, out + 2 * i + 1);
        }
    }

    /* fir_halfband's taps over a run: acc[f] += sum_s tf[2s + f] * even[s], f < run2,
       four taps per pass over the run (fewer loads and stores of acc). */
    LORA_INLINE void lora_hb_taps(const float* tf, const float* even, Py_ssize_t half,
                                  Py_ssize_t run2, float* acc) {
        Py_ssize_t s = 0, f;
        for (; s + 3 < half; s += 4) {
            float h = even[s], h1 = even[s + 1], h2 = even[s + 2], h3 = even[s + 3];
            const float* t = tf + 2 * s;
            for (f = 0; f < run2; f++)
                acc[f] += t[f] * h + t[f + 2] * h1 + t[f + 4] * h2 + t[f + 6] * h3;
        }
        for (; s < half; s++) {
            float h = even[s];
            const float* t = tf + 2 * s;
            for (f = 0; f < run2; f++) acc[f] += t[f] * h;
        }
    }

    /* out[m] = x[m] * ref[m] over n complex values (dechirping without a shift). */
    LORA_CLONES
    static void lora_cmul(const float* x, const float* ref, float* out, Py_ssize_t n) {
        Py_ssize_t m;
        for (m = 0; m < n; m++) {
            float xr = x[2 * m], xi = x[2 * m + 1], rr = ref[2 * m], ri = ref[2 * m + 1];
            out[2 * m] = xr * rr - xi * ri;
            out[2 * m + 1] = xr * ri + xi * rr;
        }
    }

    /* out[i, k] = |spec[i, k]|^2 + |spec[i, (k + 1) % n]|^2 over rows x n values. */
    LORA_CLONES
    static void lora_pair_power(const float* spec, float* out, Py_ssize_t rows, Py_ssize_t n) {
        Py_ssize_t i, k;
        for (i = 0; i < rows; i++) {
            const float* z = spec + 2 * i * n;
            float* o = out + i * n;
            for (k = 0; k < n; k++) o[k] = z[2 * k] * z[2 * k] + z[2 * k + 1] * z[2 * k + 1];
            float p0 = o[0];
            for (k = 0; k + 1 < n; k++) o[k] += o[k + 1];  /* o[k + 1]: not yet summed */
            o[n - 1] += p0;
        }
    }

    /* fir_halfband's loop: n outputs; x + 2 * first is the first input sample of
       output 0's span; tmp holds 2 * (n + half - 1) floats. */
    LORA_CLONES
    static void lora_halfband(const float* x, long long first, Py_ssize_t n, Py_ssize_t half,
                              const float* even, float center, float* tmp, float* out) {
        float acc[512];
        Py_ssize_t m, c, i, f, run;
        for (m = 0; m < n + half - 1; m++) {  /* one parity, contiguous */
            tmp[2 * m] = x[2 * (first + 2 * m)];
            tmp[2 * m + 1] = x[2 * (first + 2 * m) + 1];
        }
        for (c = 0; c < n; c += run) {
            run = n - c < 256 ? n - c : 256;
            for (f = 0; f < 2 * run; f++) acc[f] = 0;
            lora_hb_taps(tmp + 2 * c, even, half, 2 * run, acc);
            for (i = 0; i < run; i++) {
                const float* mid = x + 2 * (first + 2 * (c + i) + half - 1);
                out[2 * (c + i)] = acc[2 * i] + mid[0] * center;
                out[2 * (c + i) + 1] = acc[2 * i + 1] + mid[1] * center;
            }
        }
    }
    """
    void lora_fir_track(const float* x, double p0, double step, long long a, long long half,
                        long long phases, const float* bank2, float* out,
                        Py_ssize_t n) noexcept nogil
    void lora_fir_rational(const float* x, long long x0, long long k0, Py_ssize_t n,
                           long long num, long long den, long long half, const float* bank2,
                           float* out) noexcept nogil
    void lora_cmul(const float* x, const float* ref, float* out, Py_ssize_t n) noexcept nogil
    void lora_pair_power(const float* spec, float* out, Py_ssize_t rows,
                         Py_ssize_t n) noexcept nogil
    void lora_halfband(const float* x, long long first, Py_ssize_t n, Py_ssize_t half,
                       const float* even, float center, float* tmp, float* out) noexcept nogil


def fir_rational(const float complex[::1] x, long long x0, long long k0, long long k1,
                 long long num, long long den, long long half,
                 const float[:, ::1] bank2, float complex[::1] out):
    """Outputs k0..k1-1 at input positions k*num/den: out[k-k0] = sum_t x[b+t] * bank[ph, t].

    ``b = floor(k*num/den) - half + 1 - x0`` and ``ph = (k*num) mod den``; ``x[0]``
    is absolute input sample ``x0``. The bank has ``den`` rows of ``2*half`` taps,
    passed as ``bank2`` with each tap doubled: shape (den, 4*half).
    """
    cdef Py_ssize_t n = k1 - k0
    cdef Py_ssize_t ntaps = bank2.shape[1] // 2
    cdef Py_ssize_t nx = x.shape[0]
    if out.shape[0] < n or bank2.shape[0] != den or bank2.shape[1] != 4 * half:
        raise ValueError("fir_rational: inconsistent buffers")
    if n <= 0:
        return
    if (k0 * num) // den - half + 1 - x0 < 0 or ((k1 - 1) * num) // den + half + 1 - x0 > nx:
        raise IndexError("filter span outside the input buffer")
    with nogil:
        lora_fir_rational(<const float *> &x[0], x0, k0, n, num, den, half, &bank2[0, 0],
                          <float *> &out[0])


def dechirp_shift(const float complex[:, ::1] x, const float complex[::1] ref,
                  const double[::1] shift, float complex[:, ::1] out):
    """out[i, m] = x[i, m] * ref[m] * exp(-2j*pi*shift[i]*m/N), N = x.shape[1].

    Dechirps windows and removes a per-window tone of ``shift`` bins in one pass
    (``shift`` may hold one value for all rows). The tone comes from a phasor
    recurrence in double precision, renewed exactly every 64 samples.
    """
    cdef Py_ssize_t rows = x.shape[0], n = x.shape[1], i, m
    cdef Py_ssize_t ns = shift.shape[0]
    cdef double s, wr, wi, pr, pi_, tr, xr, xi, ph
    cdef float complex v
    if ref.shape[0] != n or out.shape[0] != rows or out.shape[1] != n:
        raise ValueError("dechirp_shift: inconsistent shapes")
    if ns != rows and ns != 1:
        raise ValueError("dechirp_shift: need one shift per row or a single one")
    with nogil:
        for i in range(rows):
            s = shift[i if ns == rows else 0]
            if s == 0.0:
                lora_cmul(<const float *> &x[i, 0], <const float *> &ref[0],
                          <float *> &out[i, 0], n)
                continue
            ph = -_TWO_PI * s / n
            wr = cos(ph)
            wi = sin(ph)
            pr = 1.0
            pi_ = 0.0
            for m in range(n):
                if m & 63 == 0 and m:
                    pr = cos(ph * m)
                    pi_ = sin(ph * m)
                v = x[i, m] * ref[m]
                xr = v.real
                xi = v.imag
                out[i, m] = <float>(xr * pr - xi * pi_) + 1j * <float>(xr * pi_ + xi * pr)
                tr = pr * wr - pi_ * wi
                pi_ = pr * wi + pi_ * wr
                pr = tr


def fold_phase_jump(const float complex[:, ::1] r, const double[::1] freq,
                    const long long[::1] fold, double[::1] out):
    """Phase step (cycles) across each row's frequency fold, its own tone removed.

    With ``y[m] = r[i, m] * exp(-2j*pi*freq[i]*m/N)``, head = sum of y[m] for
    m < fold[i], tail = the rest: out[i] = angle(tail * conj(head)) / (2*pi).
    """
    cdef Py_ssize_t rows = r.shape[0], n = r.shape[1], i, m, f
    cdef double ph, wr, wi, pr, pi_, tr, xr, xi, hr, hi, sr, si
    if freq.shape[0] != rows or fold.shape[0] != rows or out.shape[0] != rows:
        raise ValueError("fold_phase_jump: inconsistent shapes")
    with nogil:
        for i in range(rows):
            f = fold[i]
            if f < 1:
                f = 1
            ph = -_TWO_PI * freq[i] / n
            wr = cos(ph)
            wi = sin(ph)
            pr = 1.0
            pi_ = 0.0
            hr = hi = sr = si = 0.0
            for m in range(n):
                if m & 63 == 0 and m:
                    pr = cos(ph * m)
                    pi_ = sin(ph * m)
                xr = r[i, m].real
                xi = r[i, m].imag
                if m < f:
                    hr = hr + xr * pr - xi * pi_
                    hi = hi + xr * pi_ + xi * pr
                else:
                    sr = sr + xr * pr - xi * pi_
                    si = si + xr * pi_ + xi * pr
                tr = pr * wr - pi_ * wi
                pi_ = pr * wi + pi_ * wr
                pr = tr
            # tail * conj(head)
            out[i] = atan2(si * hr - sr * hi, sr * hr + si * hi) / _TWO_PI


def mix_tone(const float complex[::1] x, double f, long long k0, float complex[::1] out):
    """out[i] = x[i] * exp(-2j*pi*frac(f*(k0 + i))): remove a tone of ``f`` cycles/sample.

    The phase refers to absolute sample indices (``x[0]`` is sample ``k0``); the
    phasor is renewed exactly every 64 samples, advanced by rotation in between.
    """
    cdef Py_ssize_t n = x.shape[0], i
    cdef double cyc, wr, wi, pr, pi_, tr, xr, xi
    if out.shape[0] < n:
        raise ValueError("mix_tone: output buffer too short")
    with nogil:
        wr = cos(_TWO_PI * f)
        wi = -sin(_TWO_PI * f)
        pr = 1.0
        pi_ = 0.0
        for i in range(n):
            if i & 63 == 0:
                cyc = f * <double>(k0 + i)
                cyc = cyc - floor(cyc)
                pr = cos(_TWO_PI * cyc)
                pi_ = -sin(_TWO_PI * cyc)
            xr = x[i].real
            xi = x[i].imag
            out[i] = <float>(xr * pr - xi * pi_) + 1j * <float>(xr * pi_ + xi * pr)
            tr = pr * wr - pi_ * wi
            pi_ = pr * wi + pi_ * wr
            pr = tr


def fir_track(const float complex[::1] x, double p0, double step, long long a,
              long long half, const float[:, ::1] bank2, float complex[::1] out):
    """Interpolated outputs at absolute input positions ``p0 + i*step``, i < len(out).

    ``x[0]`` is absolute input sample ``a``. Each position splits into
    ``floor`` and a phase ``q = round(frac * phases)`` (carried into the next
    sample at ``phases``); output i is then
    ``sum_t x[floor - half + 1 - a + t] * bank[q, t]`` (``bank2``: taps doubled,
    ``phases`` rows of ``4*half`` floats).
    """
    cdef Py_ssize_t n = out.shape[0], nx = x.shape[0], i
    cdef long long phases = bank2.shape[0], q, b, fl
    cdef double pos, fpos
    if bank2.shape[1] != 4 * half:
        raise ValueError("fir_track: bank does not match half")
    if n == 0:
        return
    for i in (0, n - 1):  # positions grow monotonically: the ends bound the span
        pos = p0 + <double>i * step
        fpos = floor(pos)
        if <long long>fpos - half - a < 0 or <long long>fpos + half + 2 - a > nx:
            raise IndexError("fir_track: filter span outside the input buffer")
    with nogil:
        lora_fir_track(<const float *> &x[0], p0, step, a, half, phases, &bank2[0, 0],
                       <float *> &out[0], n)


def fir_halfband(const float complex[::1] x, long long x0, long long k0, long long k1,
                 long long half, const float[::1] even, float center,
                 float complex[::1] out):
    """``fir_rational`` for num/den = 2/1 with a half-band bank (every other tap zero).

    Output k (input position 2k) is ``sum_s x[b + 2s] * even[s] + x[b + half - 1] * center``
    with ``b = 2k - half + 1 - x0`` (``even``: the ``half`` even taps; the odd
    ones are zero but the centre). The samples of that parity are gathered
    once, then each tap is applied to a run of outputs (packed multiply-adds).
    """
    cdef Py_ssize_t n = k1 - k0, nx = x.shape[0]
    cdef long long c0 = 1 - half - x0
    if out.shape[0] < n or even.shape[0] != half:
        raise ValueError("fir_halfband: inconsistent buffers")
    if n <= 0:
        return
    if 2 * k0 + c0 < 0 or 2 * (k1 - 1) + half + 1 - x0 > nx:
        raise IndexError("fir_halfband: filter span outside the input buffer")
    cdef float complex[::1] tmp = np.empty(n + half - 1, dtype=np.complex64)
    with nogil:
        lora_halfband(<const float *> &x[0], 2 * k0 + c0, n, half, &even[0], center,
                      <float *> &tmp[0], <float *> &out[0])


def pair_power(const float complex[:, ::1] spec, float[:, ::1] out):
    """out[i, k] = |spec[i, k]|**2 + |spec[i, (k+1) % N]|**2: power of adjacent bin pairs."""
    cdef Py_ssize_t rows = spec.shape[0], n = spec.shape[1]
    if out.shape[0] != rows or out.shape[1] != n:
        raise ValueError("pair_power: inconsistent shapes")
    if n == 0 or rows == 0:
        return
    with nogil:
        lora_pair_power(<const float *> &spec[0, 0], &out[0, 0], rows, n)


cdef inline Py_ssize_t _argmax(const float *v, Py_ssize_t n, float *top) noexcept nogil:
    """First index of the largest of ``v[0..n)`` (two passes: both vectorise)."""
    cdef float best = v[0]
    cdef Py_ssize_t k
    for k in range(1, n):
        best = v[k] if v[k] > best else best
    top[0] = best
    for k in range(n):
        if v[k] == best:
            return k
    return 0



cdef inline double _jacobsen(float complex za, float complex zb,
                             float complex zc) noexcept nogil:
    """Jacobsen's fractional offset (-0.5..0.5) of a tone peaking at complex bin ``zb``,
    ``za`` and ``zc`` the bins below and above (as ``measure.jacobsen``)."""
    cdef float complex zn = za - zc
    cdef float complex zd = 2 * zb - za - zc
    cdef double den = <double>zd.real * zd.real + <double>zd.imag * zd.imag
    cdef double x = 0.0
    if den > 0:
        x = (<double>zn.real * zd.real + <double>zn.imag * zd.imag) / den
    return -0.5 if x < -0.5 else (0.5 if x > 0.5 else x)


cdef inline double _wrap(double v, double n) noexcept nogil:
    """``v`` wrapped into [-n/2, n/2) (as ``demod.wrap``)."""
    v = v + 0.5 * n
    return v - n * floor(v / n) - 0.5 * n


cdef inline double _maxlog(const double* m, Py_ssize_t nv, Py_ssize_t shift) noexcept nogil:
    """Max-log soft bit: the largest ``m[v]`` over values v whose bit ``shift`` is 0,
    less the largest over those where it is 1 (> 0 favours 0)."""
    cdef double z = -1e300, o = -1e300, x
    cdef Py_ssize_t v
    for v in range(nv):
        x = m[v]
        if (v >> shift) & 1:
            o = x if x > o else o
        else:
            z = x if x > z else z
    return z - o

def trigger_stats(const float[:, ::1] rows, long long[::1] ks, double[::1] ratio,
                  long long[::1] agree, Py_ssize_t step=1):
    """Preamble trigger statistics over every run of 4 consecutive power rows.

    For i < R - 3, with s = rows[i] + ... + rows[i+3]: ``ks[i]`` = argmax of s
    (first on ties), ``ratio[i]`` = max(s) / mean(s) and ``agree[i]`` = how
    many of the 4 rows peak within one bin (circularly) of ``ks[i]``.
    Each run's sum is formed afresh from its own 4 rows, so the statistics of
    a run never depend on which rows came before it in the call. With
    ``step`` > 1 only the runs i = 0, step, 2*step, ... are computed (the
    other entries are left as they were).
    """
    cdef Py_ssize_t r_n = rows.shape[0], n = rows.shape[1], m = r_n - 3, i, k, r
    cdef float best, tot
    cdef double mean
    cdef long long kb, d
    cdef Py_ssize_t st = step if step > 0 else 1
    cdef const float *r0
    cdef const float *r1
    cdef const float *r2
    cdef const float *r3
    cdef float *vp
    if m < 0:
        m = 0
    if ks.shape[0] < m or ratio.shape[0] < m or agree.shape[0] < m:
        raise ValueError("trigger_stats: output buffers too short")
    if n == 0 or m == 0:
        return
    cdef long long[::1] a = np.zeros(max(r_n, 1), dtype=np.int64)
    cdef float[::1] v = np.empty(n, dtype=np.float32)
    vp = &v[0]
    with nogil:
        for r in range(r_n):
            a[r] = _argmax(&rows[r, 0], n, &best)
        i = 0
        while i < m:
            r0 = &rows[i, 0]
            r1 = &rows[i + 1, 0]
            r2 = &rows[i + 2, 0]
            r3 = &rows[i + 3, 0]
            tot = 0
            for k in range(n):
                vp[k] = ((r0[k] + r1[k]) + r2[k]) + r3[k]
                tot = tot + vp[k]
            kb = _argmax(vp, n, &best)
            mean = tot / n
            ks[i] = kb
            ratio[i] = best / (mean if mean > 1e-30 else 1e-30)
            agree[i] = 0
            for r in range(4):
                d = (a[i + r] - kb) % n
                if d < 0:
                    d = d + n
                if d <= 1 or d >= n - 1:
                    agree[i] = agree[i] + 1
            i = i + st


def scan_runs(const float[:, ::1] rows, long long[::1] ks, double[::1] ratio,
              long long[::1] agree, double trigger, long long min_agree, double near):
    """Trigger statistics of every run of 4 rows, as far as the detector needs them.

    For each run i (rows i..i+3, summed as (r0 + r1) + (r2 + r3) from the
    run's own rows) ``ratio[i]`` = max / mean of the sum. ``ks[i]`` (argmax)
    and ``agree[i]`` (rows peaking within one bin of it) are filled only for
    runs above ``near`` (else -1): the rest can neither trigger nor be looked
    at again. Stops at the first run with ratio > ``trigger`` and at least
    ``min_agree`` agreeing rows. Returns (that run or -1, the first run before
    it, or before the end, with ratio > ``near``, or -1).
    """
    cdef Py_ssize_t r_n = rows.shape[0], n = rows.shape[1], m = r_n - 3, i, k, r
    cdef long long first = -1, first_near = -1, kb, d, got
    cdef float best, tot, x
    cdef double mean
    cdef float *pp
    cdef float *vp
    cdef const float *ra
    cdef const float *rb
    cdef const float *p0
    cdef const float *p2
    if m <= 0:
        return -1, -1
    if ks.shape[0] < m or ratio.shape[0] < m or agree.shape[0] < m:
        raise ValueError("scan_runs: output buffers too short")
    cdef float[:, ::1] pairs = np.empty((r_n - 1, n), dtype=np.float32)
    cdef float[::1] v = np.empty(n, dtype=np.float32)
    cdef long long[::1] a = np.full(r_n, -1, dtype=np.int64)  # row argmax, on demand
    vp = &v[0]
    with nogil:
        for r in range(r_n - 1):
            ra = &rows[r, 0]
            rb = &rows[r + 1, 0]
            pp = &pairs[r, 0]
            for k in range(n):
                pp[k] = ra[k] + rb[k]
        for i in range(m):
            p0 = &pairs[i, 0]
            p2 = &pairs[i + 2, 0]
            best = p0[0] + p2[0]
            tot = 0
            for k in range(n):
                x = p0[k] + p2[k]
                tot = tot + x
                best = x if x > best else best
            mean = tot / n
            ratio[i] = best / (mean if mean > 1e-30 else 1e-30)
            ks[i] = -1
            agree[i] = -1
            if ratio[i] <= near:
                continue
            for k in range(n):
                vp[k] = p0[k] + p2[k]
            kb = _argmax(vp, n, &best)
            ks[i] = kb
            got = 0
            for r in range(i, i + 4):
                if a[r] < 0:
                    a[r] = _argmax(&rows[r, 0], n, &x)
                d = (a[r] - kb) % n
                if d < 0:
                    d = d + n
                if d <= 1 or d >= n - 1:
                    got = got + 1
            agree[i] = got
            if ratio[i] > trigger and got >= min_agree:
                first = i
                break
            if first_near < 0:
                first_near = i
    return first, first_near



def maxlog_bits(const double[:, ::1] m, double[:, ::1] out):
    """Max-log soft bits of symbols from their per-value magnitudes.

    ``m[i, v]`` is symbol i's magnitude for value v (2**bits values, in value
    order); ``out[i, j]`` = max over values whose bit j (MSB first) is 0 minus
    max over those where it is 1 (> 0 favours 0).
    """
    cdef Py_ssize_t k = m.shape[0], nv = m.shape[1], bits = out.shape[1], i, j
    if out.shape[0] != k or nv != (<Py_ssize_t>1 << bits):
        raise ValueError("maxlog_bits: inconsistent shapes")
    with nogil:
        for i in range(k):
            for j in range(bits):
                out[i, j] = _maxlog(&m[i, 0], nv, bits - 1 - j)


def peak_stats(const float complex[:, ::1] full, float[:, ::1] spec, long long[::1] k,
               double[::1] frac, double[::1] exact, unsigned char[::1] reliable,
               double ratio):
    """Per row of dechirped spectra ``full`` (the symbol tracker's batch): magnitudes
    into ``spec``; the peak bin ``k`` (first of equals); its fractional offset from
    the magnitudes (``frac``, parabolic, as ``demod.frac_offsets``) and from the
    complex bins (``exact``, Jacobsen, as ``measure.jacobsen``); ``reliable``: the
    peak's power above ``ratio`` times the row's mean power."""
    cdef Py_ssize_t rows = full.shape[0], n = full.shape[1], i, j, kk
    cdef float top
    cdef double total, a, b, c, den, x
    if (spec.shape[0] != rows or spec.shape[1] != n or k.shape[0] != rows
            or frac.shape[0] != rows or exact.shape[0] != rows or reliable.shape[0] != rows):
        raise ValueError("peak_stats: inconsistent shapes")
    if n == 0:
        return
    with nogil:
        for i in range(rows):
            total = 0.0
            for j in range(n):
                spec[i, j] = sqrtf(full[i, j].real * full[i, j].real
                                   + full[i, j].imag * full[i, j].imag)
                total += spec[i, j] * spec[i, j]
            kk = _argmax(&spec[i, 0], n, &top)
            k[i] = kk
            b = top
            reliable[i] = b * b > ratio * total / n
            a, c = spec[i, (kk - 1 + n) % n], spec[i, (kk + 1) % n]
            den = a - 2 * b + c
            x = 0.5 * (a - c) / den if den < 0 else 0.0
            frac[i] = -0.5 if x < -0.5 else (0.5 if x > 0.5 else x)
            exact[i] = _jacobsen(full[i, (kk - 1 + n) % n], full[i, kk], full[i, (kk + 1) % n])


_BIN_STEPS: dict = {}


def _bin_steps(Py_ssize_t nb, Py_ssize_t n):
    """exp(-2j*pi*j*m/N) for j < nb, m < N (complex64), made once per size: the
    frame search calls :func:`dechirp_bins` twice per candidate."""
    tab = _BIN_STEPS.get((nb, n))
    if tab is None:
        tab = np.exp(-2j * np.pi * np.outer(np.arange(nb), np.arange(n)) / max(n, 1))
        tab = tab.astype(np.complex64)
        tab.flags.writeable = False
        _BIN_STEPS[(nb, n)] = tab
    return tab


def dechirp_bins(const float complex[::1] x, const long long[::1] starts,
                 const double[::1] shift, const float complex[::1] ref,
                 const long long[::1] first, float[:, ::1] out):
    """Power at a few consecutive FFT bins of dechirped windows, without the rest.

    out[w, j] = |sum_m x[starts[w] + m] * ref[m] * exp(-2j*pi*(shift[w] + first[w] + j)*m/N)|**2
    for j < out.shape[1], N = len(ref): what ``abs(fft(dechirp_shift(...)))**2``
    holds at bins ``first[w] + j`` (mod N). The window's tone comes from a phasor
    recurrence in double precision, renewed every 64 samples, as in
    ``dechirp_shift``; the steps between the bins from a table.
    """
    cdef Py_ssize_t w_n = starts.shape[0], n = ref.shape[0], nb = out.shape[1]
    cdef Py_ssize_t w, j, m, s0
    cdef double ph, wr, wi, pr, pi_, tr, vr, vi
    cdef float ar, ai
    if first.shape[0] != w_n or shift.shape[0] != w_n or out.shape[0] != w_n:
        raise ValueError("dechirp_bins: inconsistent shapes")
    for w in range(w_n):
        if starts[w] < 0 or starts[w] + n > x.shape[0]:
            raise IndexError("dechirp_bins: window outside the input")
    cdef const float complex[:, ::1] step = _bin_steps(nb, n)
    cdef float complex[::1] u = np.empty(max(n, 1), dtype=np.complex64)
    with nogil:
        for w in range(w_n):
            s0 = starts[w]
            ph = -_TWO_PI * (shift[w] + first[w]) / n
            wr = cos(ph)
            wi = sin(ph)
            pr = 1.0
            pi_ = 0.0
            for m in range(n):
                if m & 63 == 0 and m:
                    pr = cos(ph * m)
                    pi_ = sin(ph * m)
                vr = x[s0 + m].real * ref[m].real - x[s0 + m].imag * ref[m].imag
                vi = x[s0 + m].real * ref[m].imag + x[s0 + m].imag * ref[m].real
                u[m] = <float>(vr * pr - vi * pi_) + 1j * <float>(vr * pi_ + vi * pr)
                tr = pr * wr - pi_ * wi
                pi_ = pr * wi + pi_ * wr
                pr = tr
            for j in range(nb):
                ar = 0
                ai = 0
                for m in range(n):
                    ar = ar + u[m].real * step[j, m].real - u[m].imag * step[j, m].imag
                    ai = ai + u[m].real * step[j, m].imag + u[m].imag * step[j, m].real
                out[w, j] = ar * ar + ai * ai


def preamble_peaks(const float complex[:, ::1] up, double[::1] out):
    """Where each dechirped up-chirp spectrum (rows of ``up``, not padded) peaks, in
    bins within [-N/2, N/2), near the rows' common peak (the strongest bin of their
    summed power): the strongest of the five bins around it (taken one bin in from
    either end of the five), then Jacobsen's fraction from the complex bins."""
    cdef Py_ssize_t rows = up.shape[0], n = up.shape[1], i, j, ku = 0, k, kb
    cdef double best, p
    if out.shape[0] != rows:
        raise ValueError("preamble_peaks: one output per row")
    if rows == 0 or n == 0:
        return
    col = np.zeros(n, dtype=np.float64)
    cdef double[::1] cv = col
    with nogil:
        for i in range(rows):
            for j in range(n):
                cv[j] += up[i, j].real * up[i, j].real + up[i, j].imag * up[i, j].imag
        best = cv[0]
        for j in range(1, n):
            if cv[j] > best:
                best = cv[j]
                ku = j
        for i in range(rows):
            kb = 0
            best = -1.0
            for j in range(5):  # bins ku-2 .. ku+2, the first of equals
                k = (ku - 2 + j + n) % n
                p = up[i, k].real * up[i, k].real + up[i, k].imag * up[i, k].imag
                if p > best:
                    best = p
                    kb = j
            kb = 1 if kb < 1 else (3 if kb > 3 else kb)
            k = (ku - 2 + kb + n) % n
            out[i] = _wrap(k + _jacobsen(up[i, (k - 1 + n) % n], up[i, k], up[i, (k + 1) % n]), n)


def diff_noise(const float complex[:, ::1] spec, double pos0):
    """Noise power per bin from the differences of consecutive rows of ``spec``
    (dechirped preamble up-chirps whose carriers were moved onto row 0's, at ``pos0``
    bins): each row is scaled so that its peak bin equals row 0's, and the mean of
    ``|difference|**2`` over the bins a quarter band or more from ``pos0``, each
    divided by the noise power gain of its two scalings, is returned; -1 when there
    are fewer than two rows or a peak bin is zero."""
    cdef Py_ssize_t rows = spec.shape[0], n = spec.shape[1], i, j, k0, count = 0
    cdef double total = 0.0, w, d, dr, di
    cdef double complex g_prev, g_cur, peak0, pk
    if rows < 2 or n == 0:
        return -1.0
    k0 = <Py_ssize_t>floor(pos0 + 0.5)
    k0 = ((k0 % n) + n) % n
    for i in range(rows):
        if spec[i, k0].real == 0 and spec[i, k0].imag == 0:
            return -1.0
    with nogil:
        peak0 = spec[0, k0]
        g_prev = 1.0
        for i in range(1, rows):
            pk = spec[i, k0]
            g_cur = peak0 / pk
            w = (g_cur.real * g_cur.real + g_cur.imag * g_cur.imag
                 + g_prev.real * g_prev.real + g_prev.imag * g_prev.imag)
            for j in range(n):
                d = _wrap(j - pos0, n)
                if d >= 0.25 * n or d <= -0.25 * n:
                    dr = ((spec[i, j].real * g_cur.real - spec[i, j].imag * g_cur.imag)
                          - (spec[i - 1, j].real * g_prev.real - spec[i - 1, j].imag * g_prev.imag))
                    di = ((spec[i, j].real * g_cur.imag + spec[i, j].imag * g_cur.real)
                          - (spec[i - 1, j].real * g_prev.imag + spec[i - 1, j].imag * g_prev.real))
                    total += (dr * dr + di * di) / w
                    count += 1
            g_prev = g_cur
    return total / count if count else -1.0



def symbol_errors(const long long[::1] k, const double[::1] frac, const double[::1] exact,
                  const unsigned char[::1] reliable, long long n, long long j0,
                  bint first_reduced, bint ldro, double[::1] e_meas, double[::1] e_fit,
                  long long[::1] fold, unsigned char[::1] timing_ok):
    """The symbol tracker's per-symbol errors from its peak statistics (``peak_stats``).

    Data symbol ``j0 + i`` of an N-bin frame (``n``) peaks at bin ``k[i]`` plus
    ``frac[i]`` (magnitudes) or ``exact[i]`` (Jacobsen). A reduced-rate symbol (the
    header block with ``first_reduced``, later ones with ``ldro``) carries its value in
    bins 4v + 1: its error is the offset from the nearest such bin (ties to the even
    multiple), wrapped into [-N/2, N/2) and held within +-1.5 bins; the others' errors
    are the fractions themselves. ``fold``: where the dechirped tone folds,
    (N - k) mod N; ``timing_ok``: a reliable peak whose fold lies an eighth of the
    band or more from either end (where the timing loop's phase step is measurable)."""
    cdef Py_ssize_t rows = k.shape[0], i
    cdef double nominal, v
    cdef bint reduced
    cdef long long f
    if (frac.shape[0] != rows or exact.shape[0] != rows or reliable.shape[0] != rows
            or e_meas.shape[0] != rows or e_fit.shape[0] != rows or fold.shape[0] != rows
            or timing_ok.shape[0] != rows):
        raise ValueError("symbol_errors: inconsistent shapes")
    if n <= 0:
        raise ValueError("symbol_errors: n must be positive")
    with nogil:
        for i in range(rows):
            reduced = first_reduced if j0 + i < 8 else ldro
            if reduced:
                nominal = 4.0 * nearbyint((k[i] - 1) / 4.0) + 1.0
                v = _wrap(k[i] + frac[i] - nominal, n)
                e_meas[i] = -1.5 if v < -1.5 else (1.5 if v > 1.5 else v)
                v = _wrap(k[i] + exact[i] - nominal, n)
                e_fit[i] = -1.5 if v < -1.5 else (1.5 if v > 1.5 else v)
            else:
                e_meas[i] = frac[i]
                e_fit[i] = exact[i]
            f = ((n - k[i]) % n + n) % n
            fold[i] = f
            timing_ok[i] = reliable[i] != 0 and f >= n // 8 and f <= n - n // 8


def block_llrs(const float[:, ::1] mags, const long long[::1] bins, bint reduced,
               Py_ssize_t bits, Py_ssize_t sf_app, double[:, ::1] out):
    """Soft bits (> 0 favours 0) of the Hamming codewords of consecutive interleaver
    blocks, deinterleaved, scaled so that the largest magnitude is 1.

    ``mags`` holds ``ppm = out.shape[1]`` symbol rows (magnitude spectra, offset
    removed) per block; value v of a symbol sits at bin ``bins[v]`` (for ``reduced``
    symbols the strongest of that bin and its two neighbours). Each symbol's first
    ``sf_app`` of its ``bits`` max-log soft bits (MSB first) are spread over the
    block's codewords: bit j of symbol i is bit i of codeword (i - j - 1) mod sf_app,
    row ``block * sf_app + codeword`` of ``out``."""
    cdef Py_ssize_t rows = mags.shape[0], n = mags.shape[1], ppm = out.shape[1]
    cdef Py_ssize_t nv = bins.shape[0], n_blocks, i, j, v, b, s, c
    cdef double x, top = 0.0
    if ppm <= 0 or sf_app <= 0 or sf_app > bits or nv != (<Py_ssize_t>1 << bits):
        raise ValueError("block_llrs: inconsistent sizes")
    n_blocks = rows // ppm
    if out.shape[0] != n_blocks * sf_app:
        raise ValueError("block_llrs: out must hold sf_app rows per block")
    m_arr = np.empty(nv, dtype=np.float64)
    llr_arr = np.empty((n_blocks * ppm, sf_app), dtype=np.float64)
    cdef double[::1] m = m_arr
    cdef double[:, ::1] llr = llr_arr
    with nogil:
        for i in range(n_blocks * ppm):
            for v in range(nv):
                c = bins[v]
                x = mags[i, c]
                if reduced:
                    x = mags[i, (c - 1 + n) % n] if mags[i, (c - 1 + n) % n] > x else x
                    x = mags[i, (c + 1) % n] if mags[i, (c + 1) % n] > x else x
                m[v] = x
            for j in range(sf_app):
                x = _maxlog(&m[0], nv, bits - 1 - j)
                llr[i, j] = x
                top = fabs(x) if fabs(x) > top else top
        top = top if top > 0 else 1.0
        for i in range(n_blocks * ppm):
            b = i // ppm
            s = i % ppm
            for j in range(sf_app):
                out[b * sf_app + ((s - j - 1) % sf_app + sf_app) % sf_app, s] = llr[i, j] / top
