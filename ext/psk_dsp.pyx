# cython: language_level=3
"""Per-sample and per-symbol kernels of the BPSK receiver (sdrlink.protocols.bpsk).

The kernels are functions without hidden state: the caller keeps the history
samples and the loop variables between blocks, so a stream cut into blocks
gives exactly what the uncut stream gives.

``fir_decim`` is the decimating channel filter. ``psk_sync`` is the symbol
synchroniser: a polyphase root-raised-cosine matched filter evaluated only at
the instants the timing loop asks for (the symbol and the point half a symbol
before it), a Gardner timing-error detector driving a second-order timing
loop, a decision-directed Costas loop (second order) at the symbol rate, and
an AGC that normalises the symbols to unit power.
"""

from libc.math cimport M_PI, cos, floor, sin, sqrt

import numpy as np
cimport numpy as cnp

cnp.import_array()


cdef extern from *:
    """
    /* Dot product of real taps (each stored twice) with interleaved complex
       samples. GCC/Clang vector extensions give SIMD without -ffast-math;
       other compilers get the same partial sums in scalar code. */
    #if defined(__GNUC__) || defined(__clang__)
    typedef float psk_v4 __attribute__((vector_size(16)));
    static inline void psk_cdot(const float* t, const float* b, Py_ssize_t m,
                                float* re, float* im) {
        psk_v4 s0 = {0, 0, 0, 0}, s1 = {0, 0, 0, 0}, tv, bv;
        Py_ssize_t j = 0;
        for (; j + 8 <= m; j += 8) {
            __builtin_memcpy(&tv, t + j, 16); __builtin_memcpy(&bv, b + j, 16);
            s0 += tv * bv;
            __builtin_memcpy(&tv, t + j + 4, 16); __builtin_memcpy(&bv, b + j + 4, 16);
            s1 += tv * bv;
        }
        for (; j < m; j += 4) {
            __builtin_memcpy(&tv, t + j, 16); __builtin_memcpy(&bv, b + j, 16);
            s0 += tv * bv;
        }
        s0 += s1;
        *re = s0[0] + s0[2];
        *im = s0[1] + s0[3];
    }
    #else
    static inline void psk_cdot(const float* t, const float* b, Py_ssize_t m,
                                float* re, float* im) {
        float a[4] = {0, 0, 0, 0};
        Py_ssize_t j; int q;
        for (j = 0; j < m; j += 4)
            for (q = 0; q < 4; q++) a[q] += t[j + q] * b[j + q];
        *re = a[0] + a[2];
        *im = a[1] + a[3];
    }
    #endif
    """
    void _cdot "psk_cdot" (const float* t, const float* b, Py_ssize_t m, float* re,
                           float* im) noexcept nogil


def fir_decim(const float complex[::1] buf, const float[::1] rtaps2, Py_ssize_t start,
              Py_ssize_t step, float complex[::1] out):
    """Complex FIR with real taps, keeping every ``step``-th output.

    out[k] = sum_q taps_rev[q] * buf[start + k*step - M + 1 + q] where
    ``rtaps2`` holds the M taps in reverse time order, each twice (for the
    real and imaginary parts), zero-padded so that 2*M is a multiple of 4.
    ``buf`` must hold M - 1 samples of history before ``start``. Computes
    outputs while ``start + k*step < len(buf)``; returns their count.
    """
    cdef Py_ssize_t m2 = rtaps2.shape[0], m = m2 // 2
    cdef Py_ssize_t n = buf.shape[0]
    cdef Py_ssize_t k = 0, i
    cdef float re, im
    cdef const float* bp
    if m2 % 4:
        raise ValueError("doubled tap count must be a multiple of 4")
    if start - m + 1 < 0:
        raise ValueError("not enough history before start")
    with nogil:
        i = start
        bp = <const float*> &buf[0]
        while i < n and k < out.shape[0]:
            _cdot(&rtaps2[0], bp + 2 * (i - m + 1), m2, &re, &im)
            out[k] = re + 1j * im
            k += 1
            i += step
    return k


cdef inline void _pfb(const float* xb, Py_ssize_t nx, const float* bank, Py_ssize_t width2,
                      int nphase, int half, double t, float* re, float* im) noexcept nogil:
    """Matched-filter output at fractional sample position ``t`` (nearest of the phases)."""
    cdef double fl = floor(t)
    cdef Py_ssize_t n = <Py_ssize_t> fl
    cdef int p = <int> ((t - fl) * nphase + 0.5)
    if p >= nphase:
        p = 0
        n += 1
    _cdot(bank + p * width2, xb + 2 * (n - half), width2, re, im)


cdef inline double _clamp(double v, double lim) noexcept nogil:
    if v > lim:
        return lim
    if v < -lim:
        return -lim
    return v


def psk_sync(const float complex[::1] x, const float[:, ::1] bank, int half,
             double[::1] st, const double[::1] par,
             float[::1] out_re, float[::1] out_im, double[::1] out_pos,
             float[::1] out_freq):
    """Symbol timing (Gardner) and carrier phase (Costas) recovery on matched-filter output.

    ``bank[p]`` holds the matched filter for fractional delay p/P (P = number
    of rows), each tap twice, in the order of the samples it multiplies:
    the output at position n + p/P is ``sum_q bank[p, 2q] * x[n - half + q]``
    (q = 0 .. 2*half, then one zero tap of padding: rows are 4*half + 4 wide).

    ``st`` (state, updated): [0] next symbol position in ``x`` (samples),
    [1] relative period error, [2] carrier phase (rad), [3] carrier frequency
    (rad/symbol), [4] AGC power (0: not started), [5], [6] previous
    normalised symbol (re, im), [7] lock metric (running mean of re^2 - im^2
    of the normalised symbols: about Es/(Es + N0) when locked, 0 on noise),
    [8] timing metric (running mean, over the symbols where the decision
    changed sign, of (|u_k|^2 + |u_k-1|^2) / 2 - 2 |u_k-1/2|^2: near 1 when
    the symbols are sampled at their centres, so that the point between two
    different symbols is a zero crossing; negative when the loop hangs near
    the zero crossings), [9] symbols since the last timing kick, [10]
    transition density (running mean of the sign changes: 1/2 for random
    data, 1/8 for the HDLC flags of plain AX.25), [11] noise floor (the
    smallest AGC power lately: follows drops at once, rises slowly).

    ``par``: [0] nominal samples per symbol, [1] timing proportional gain,
    [2] timing integral gain, [3] period error limit, [4] Costas
    proportional gain, [5] Costas integral gain, [6] frequency limit
    (rad/symbol), [7] AGC coefficient per symbol, [8] 1 / Gardner detector
    slope at a sign change of the data (per symbol of timing error), [9] lock
    metric coefficient per
    symbol, [10] lock threshold, [11] leak per symbol of the period error
    while unlocked (so that on noise it returns to its nominal value instead
    of wandering to its limit, from where it could not pull in when a
    signal begins), [12] timing metric
    coefficient per symbol, [13] timing metric below which the sampling
    instant jumps by half a symbol (a Gardner loop started near the zero
    crossings, where its error signal vanishes, can hang there for hundreds
    of symbols), [14] symbols to wait after a jump, [15] lock metric above
    which such a jump may happen (below it, noise biases the timing metric
    too much to trust it), [16] factor on the timing loop's proportional
    gain while unlocked (fast acquisition at the start of a burst; the
    period error is not integrated then, as the large errors of acquisition
    would charge it with a clock error that takes long to discharge), [17]
    transition density coefficient per symbol, [18] largest factor on the
    timing loop gains that makes up for rare transitions (the Gardner
    detector only sees the symbols where the data changes, so sparse data
    would slow the loop by as much), [19] leak per symbol of the carrier
    frequency while unlocked (much slower than [11]: the Costas loop must
    still be able to pull in an offset while it is not locked yet), [20]
    gain of the frequency-locked loop that helps the Costas loop pull in
    while unlocked: the phase turn from one symbol to the next, data signs
    removed, Im(u_k conj(u_k-1)) sign(Re u_k) sign(Re u_k-1), is added to
    the frequency (a decision-directed Costas loop alone pulls in only about
    1 % of the symbol rate), weighted by how much of the power is signal
    (1 - noise floor / power: on noise alone the loop would wander far, and
    a burst after a short gap would have to be pulled in from there), [21]
    relative rise of the noise floor per symbol.

    A symbol is produced when its matched filter fits in ``x``. Outputs: the
    derotated, AGC-normalised symbol (re, im), its position in ``x`` and the
    carrier frequency (rad/symbol) the Costas loop held there. Returns the
    number of symbols.
    """
    cdef Py_ssize_t nx = x.shape[0]
    cdef Py_ssize_t cap = out_re.shape[0]
    cdef int nphase = bank.shape[0]
    cdef Py_ssize_t width2 = bank.shape[1]
    cdef double sps = par[0], kp_t = par[1], ki_t = par[2], nu_max = par[3]
    cdef double kp_c = par[4], ki_c = par[5], w_max = par[6], agc_a = par[7]
    cdef double kd_inv = par[8], lock_a = par[9], lock_min = par[10], leak = par[11]
    cdef double tim_a = par[12], tim_min = par[13], tim_wait = par[14]
    cdef double kick_lock = par[15], fast_k = par[16], dens_a = par[17], boost = par[18]
    cdef double leak_w = par[19], k_fll = par[20], floor_up = par[21], floor_k = par[22]
    cdef double t = st[0], nu = st[1], theta = st[2], omega = st[3], pw = st[4]
    cdef double pr = st[5], pi_ = st[6], lock = st[7], tim = st[8], since = st[9]
    cdef double dens = st[10], pfloor = st[11]
    cdef double period, tm, c, s, cm, sm, g, ur, ui, mr, mi, e, ec, p2, gd, ef, pres
    cdef bint trans
    cdef float yr, yi, zr, zi
    cdef Py_ssize_t k = 0
    cdef const float* xb
    cdef const float* bp
    if nx == 0:
        return 0
    if width2 != 4 * half + 4:  # 2 * (2 * half + 1) floats, padded to a multiple of 4
        raise ValueError("bank width does not match half")
    xb = <const float*> &x[0]
    bp = &bank[0, 0]
    with nogil:
        while k < cap:
            period = sps * (1.0 + nu)
            tm = t - 0.5 * period
            if tm - half < 0.0:  # the caller keeps enough history; skip ahead if not
                t += period
                continue
            if t + half + 3 > nx:  # the last tap (and the zero pad) must lie in x
                break
            _pfb(xb, nx, bp, width2, nphase, half, t, &yr, &yi)
            _pfb(xb, nx, bp, width2, nphase, half, tm, &zr, &zi)
            p2 = <double> yr * yr + <double> yi * yi
            if pw <= 0.0:
                pw = p2 if p2 > 0.0 else 1e-30
            else:
                pw += agc_a * (p2 - pw)
            g = 1.0 / sqrt(pw + 1e-30)
            pfloor = pw if (pfloor <= 0.0 or pw < pfloor) else pfloor * (1.0 + floor_up)
            c = cos(theta)
            s = sin(theta)
            ur = g * (yr * c + yi * s)  # y * exp(-j theta)
            ui = g * (yi * c - yr * s)
            cm = cos(theta - 0.5 * omega)
            sm = sin(theta - 0.5 * omega)
            mr = g * (zr * cm + zi * sm)
            mi = g * (zi * cm - zr * sm)
            # Gardner: Re{(u_k - u_k-1) conj(u_k-1/2)}, positive when sampling late, taken
            # only where the decision changes sign: elsewhere it holds nothing but the
            # ringing of the last transition, which biases the loop when changes are rare
            trans = (ur >= 0.0) != (pr >= 0.0)
            e = 0.0
            if trans:
                e = _clamp(((ur - pr) * mr + (ui - pi_) * mi) * kd_inv, 1.0)
            # Costas (decision-directed): Im(u) sign(Re(u)) ~ sin(phase error)
            ec = _clamp(ui if ur >= 0.0 else -ui, 1.0)
            out_re[k] = <float> ur
            out_im[k] = <float> ui
            out_pos[k] = t
            out_freq[k] = <float> omega
            k += 1
            if lock < lock_min:  # frequency-locked loop while the Costas loop is not locked
                ef = ui * pr - ur * pi_
                if (ur >= 0.0) != (pr >= 0.0):
                    ef = -ef
                # (the floor sits below the noise's mean, at the dips of the AGC power)
                pres = 1.0 - floor_k * pfloor / (pw + 1e-30)
                if pres > 0.0:
                    omega += k_fll * pres * _clamp(ef, 1.0)
            dens += dens_a * ((1.0 if trans else 0.0) - dens)
            if trans:
                tim += tim_a * (0.5 * (ur * ur + ui * ui + pr * pr + pi_ * pi_)
                                - 2.0 * (mr * mr + mi * mi) - tim)
            pr = ur
            pi_ = ui
            lock += lock_a * (ur * ur - ui * ui - lock)
            if lock < lock_min:
                omega -= leak_w * omega
                nu -= leak * nu
            since += 1.0
            omega = _clamp(omega + ki_c * ec, w_max)
            theta += omega + kp_c * ec
            if theta > M_PI:
                theta -= 2.0 * M_PI
            elif theta < -M_PI:
                theta += 2.0 * M_PI
            gd = 0.5 / dens if dens > 0.5 / boost else boost
            e *= gd if gd > 1.0 else 1.0
            if lock < lock_min:
                e *= fast_k  # acquiring: faster phase, no clock-rate learning from it
            else:
                nu = _clamp(nu - ki_t * e, nu_max)
            t += sps * (1.0 + nu) - kp_t * e * sps
            if tim < tim_min and since >= tim_wait and lock > kick_lock:
                t += 0.5 * sps  # sampling the zero crossings: move to the centres
                tim = 0.0
                since = 0.0
    st[0] = t
    st[1] = nu
    st[2] = theta
    st[3] = omega
    st[4] = pw
    st[5] = pr
    st[6] = pi_
    st[7] = lock
    st[8] = tim
    st[9] = since
    st[10] = dens
    st[11] = pfloor
    return k
