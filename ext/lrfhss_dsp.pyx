# cython: language_level=3
# distutils: extra_compile_args = -O3
"""LR-FHSS receiver kernels: soft-decision Viterbi decoding and the polyphase channelizer.

``viterbi`` decodes a feed-forward convolutional code of rate 1/n and
constraint length k (up to 64 states) from soft values (positive = bit 1,
0 = erased, e.g. punctured), from a known or free start state to a known or
free end state; ``viterbi_tailbiting`` tries every start state and keeps the
best path that ends where it began (exact maximum likelihood for a
tail-biting code). ``bcjr_conv`` (log-MAP) and ``bcjr_differential`` (the
sign chain of GMSK's lattice points) exchange soft values for iterative
decoding. ``pfb_rows`` is the filtering half of a 2x
oversampled polyphase filter bank; an inverse FFT over its rows completes it.
"""

import numpy as np
cimport numpy as cnp

cnp.import_array()

cdef double _NEG = -1e30

cdef extern from "math.h" nogil:
    double exp(double)
    double log1p(double)


cdef double _run(const float[::1] soft, Py_ssize_t n_bits, int k, const float[:, ::1] sgn,
                 int start_state, int end_state, unsigned char[:, ::1] dec,
                 double[::1] pm, double[::1] nm, double[::1] bm,
                 unsigned char[::1] out) noexcept nogil:
    cdef int n_states = 1 << (k - 1)
    cdef int n_out = sgn.shape[1]
    cdef int s, reg0, reg1, o, ns, best_s, top
    cdef Py_ssize_t i
    cdef double m0, m1, acc, best
    for s in range(n_states):
        pm[s] = 0.0 if (start_state < 0 or s == start_state) else _NEG
    for i in range(n_bits):
        for s in range(2 * n_states):
            acc = 0.0
            for o in range(n_out):
                acc = acc + soft[i * n_out + o] * sgn[s, o]
            bm[s] = acc
        for ns in range(n_states):
            reg0 = ns
            reg1 = ns | n_states
            m0 = pm[reg0 >> 1] + bm[reg0]
            m1 = pm[reg1 >> 1] + bm[reg1]
            if m1 > m0:
                nm[ns] = m1
                dec[i, ns] = 1
            else:
                nm[ns] = m0
                dec[i, ns] = 0
        for s in range(n_states):
            pm[s] = nm[s]
    if end_state >= 0:
        best_s = end_state
    else:
        best_s = 0
        for s in range(1, n_states):
            if pm[s] > pm[best_s]:
                best_s = s
    best = pm[best_s]
    ns = best_s
    i = n_bits - 1
    while i >= 0:
        out[i] = ns & 1
        top = dec[i, ns]
        ns = (ns | (top << (k - 1))) >> 1
        i -= 1
    return best


def _check(soft, n_bits, k, sgn, out):
    if not 2 <= k <= 7:
        raise ValueError("viterbi: constraint length must be 2..7")
    if sgn.shape[0] != (1 << k):
        raise ValueError("viterbi: sign table must have 2**k rows")
    if soft.shape[0] < n_bits * sgn.shape[1] or out.shape[0] < n_bits:
        raise ValueError("viterbi: buffers too short")


def viterbi(const float[::1] soft, Py_ssize_t n_bits, int k, const float[:, ::1] sgn,
            int start_state, int end_state, unsigned char[::1] out):
    """Most likely input bits (into ``out``); returns the path metric.

    ``sgn[reg, o]`` is +1/-1 for coded bit ``o`` of register value ``reg``
    (input bit in bit 0); ``soft`` holds ``n_out`` values per input bit.
    A negative ``start_state`` / ``end_state`` leaves that end free.
    """
    _check(soft, n_bits, k, sgn, out)
    cdef int n_states = 1 << (k - 1)
    cdef unsigned char[:, ::1] dec = np.zeros((max(n_bits, 1), n_states), dtype=np.uint8)
    cdef double[::1] pm = np.zeros(n_states, dtype=np.float64)
    cdef double[::1] nm = np.zeros(n_states, dtype=np.float64)
    cdef double[::1] bm = np.zeros(2 * n_states, dtype=np.float64)
    cdef double r
    with nogil:
        r = _run(soft, n_bits, k, sgn, start_state, end_state, dec, pm, nm, bm, out)
    return r


def viterbi_tailbiting(const float[::1] soft, Py_ssize_t n_bits, int k,
                       const float[:, ::1] sgn, unsigned char[::1] out):
    """Maximum-likelihood decoding of a tail-biting code: the best of all start states."""
    _check(soft, n_bits, k, sgn, out)
    cdef int n_states = 1 << (k - 1)
    cdef unsigned char[:, ::1] dec = np.zeros((max(n_bits, 1), n_states), dtype=np.uint8)
    cdef double[::1] pm = np.zeros(n_states, dtype=np.float64)
    cdef double[::1] nm = np.zeros(n_states, dtype=np.float64)
    cdef double[::1] bm = np.zeros(2 * n_states, dtype=np.float64)
    cdef unsigned char[::1] tv = np.zeros(n_bits, dtype=np.uint8)
    cdef double best = _NEG, r
    cdef int s
    cdef Py_ssize_t i
    for s in range(n_states):
        with nogil:
            r = _run(soft, n_bits, k, sgn, s, s, dec, pm, nm, bm, tv)
        if r > best:
            best = r
            for i in range(n_bits):
                out[i] = tv[i]
    return best


def pfb_rows(const float complex[::1] x, long long x0, long long m0, long long m1,
             int n_chan, int decim, const float[::1] hrev, float complex[:, ::1] out):
    """Rows whose inverse DFT is the filter bank's output, channels in ascending frequency.

    Frame ``m`` filters ``x[m*decim - L + 1 .. m*decim]`` (``x[0]`` is absolute
    sample ``x0``; samples outside ``x`` count as zero) with the prototype cut
    into ``n_chan`` polyphase branches. ``hrev[p*n_chan + s] = h[p*n_chan +
    n_chan - 1 - s]`` keeps the inner loop ascending in both arrays. The
    partial sums ``u[r]`` are written as ``out[m - m0, (r + m*decim) % n_chan] =
    (-1)**(r + m*decim) * u[r]``, which folds the mixing phase of a decimation by
    ``n_chan / 2`` and the reordering of the channels into the rows.
    """
    cdef Py_ssize_t taps = hrev.shape[0]
    cdef Py_ssize_t n_phase = taps // n_chan
    cdef Py_ssize_t nx = x.shape[0]
    cdef long long m, base, seg
    cdef Py_ssize_t r, p, sidx, rr
    cdef float sg
    cdef const float *xf
    cdef const float *hp
    if taps != n_phase * n_chan or out.shape[1] != n_chan or out.shape[0] < m1 - m0:
        raise ValueError("pfb_rows: inconsistent sizes")
    if 2 * decim != n_chan:
        raise ValueError("pfb_rows: decimation must be half the channel count")
    if m1 <= m0:
        return
    acc_np = np.zeros(2 * n_chan, dtype=np.float32)
    cdef float[::1] acc = acc_np
    xpad_np = np.zeros(2 * n_chan, dtype=np.complex64)
    cdef float complex[::1] xpad = xpad_np
    cdef const float complex *src
    with nogil:
        for m in range(m0, m1):
            for r in range(2 * n_chan):
                acc[r] = 0
            base = m * decim - x0
            for p in range(n_phase):
                seg = base - p * n_chan - (n_chan - 1)  # first sample of this branch's span
                if seg >= 0 and seg + n_chan <= nx:
                    src = &x[seg]
                else:
                    for sidx in range(n_chan):
                        if seg + sidx >= 0 and seg + sidx < nx:
                            xpad[sidx] = x[seg + sidx]
                        else:
                            xpad[sidx] = 0
                    src = &xpad[0]
                xf = <const float *> src
                hp = &hrev[p * n_chan]
                for sidx in range(n_chan):
                    acc[2 * sidx] = acc[2 * sidx] + hp[sidx] * xf[2 * sidx]
                    acc[2 * sidx + 1] = acc[2 * sidx + 1] + hp[sidx] * xf[2 * sidx + 1]
            for r in range(n_chan):
                sidx = n_chan - 1 - r
                rr = (r + m * decim) % n_chan
                sg = -1.0 if ((r + m * decim) & 1) else 1.0
                out[m - m0, rr] = sg * (acc[2 * sidx] + 1j * acc[2 * sidx + 1])


cdef inline double _maxstar(double a, double b) noexcept nogil:
    """log(exp(a) + exp(b))."""
    cdef double d
    if a > b:
        d = b - a
        if d < -30:
            return a
        return a + log1p(exp(d))
    d = a - b
    if d < -30:
        return b
    return b + log1p(exp(d))



def bcjr_differential(const float[::1] lam, const float[::1] la, float[::1] ext):
    """Soft-in soft-out detection of ``a_p = r_p * r_{p-1}`` from the points ``r_0..r_n``.

    ``lam[p]`` is the channel LLR of ``r_p = +1`` (n + 1 values), ``la[p]`` the a
    priori LLR of bit ``a_{p+1} = 1`` (n values). Writes the extrinsic LLRs of
    the n bits into ``ext``. The chain's start is unknown (both signs equally
    likely): a sign flip of all points leaves the bits unchanged.
    """
    cdef Py_ssize_t n = la.shape[0]
    cdef Py_ssize_t p
    if lam.shape[0] != n + 1 or ext.shape[0] < n:
        raise ValueError("bcjr_differential: inconsistent sizes")
    if n == 0:
        return
    fwd_np = np.zeros((n + 1, 2), dtype=np.float64)
    bwd_np = np.zeros((n + 1, 2), dtype=np.float64)
    cdef double[:, ::1] fa = fwd_np
    cdef double[:, ::1] fb = bwd_np
    cdef double g0, g1, h, a0, a1, m, num, den
    with nogil:
        # state 0: r = +1, state 1: r = -1; a = +1 keeps the state
        fa[0, 0] = 0.5 * lam[0]
        fa[0, 1] = -0.5 * lam[0]
        for p in range(1, n + 1):
            h = 0.5 * lam[p]
            a0 = 0.5 * la[p - 1]
            fa[p, 0] = _maxstar(fa[p - 1, 0] + a0, fa[p - 1, 1] - a0) + h
            fa[p, 1] = _maxstar(fa[p - 1, 1] + a0, fa[p - 1, 0] - a0) - h
            m = fa[p, 0] if fa[p, 0] > fa[p, 1] else fa[p, 1]
            fa[p, 0] -= m
            fa[p, 1] -= m
        fb[n, 0] = 0.0
        fb[n, 1] = 0.0
        p = n
        while p >= 1:
            h = 0.5 * lam[p]
            a0 = 0.5 * la[p - 1]
            g0 = fb[p, 0] + h  # into state 0
            g1 = fb[p, 1] - h  # into state 1
            fb[p - 1, 0] = _maxstar(g0 + a0, g1 - a0)
            fb[p - 1, 1] = _maxstar(g1 + a0, g0 - a0)
            m = fb[p - 1, 0] if fb[p - 1, 0] > fb[p - 1, 1] else fb[p - 1, 1]
            fb[p - 1, 0] -= m
            fb[p - 1, 1] -= m
            # extrinsic of a_p: same state (a = +1) against a change (a = -1)
            num = _maxstar(fa[p - 1, 0] + g0, fa[p - 1, 1] + g1)
            den = _maxstar(fa[p - 1, 0] + g1, fa[p - 1, 1] + g0)
            ext[p - 1] = <float> (num - den)
            p -= 1


def bcjr_conv(const float[::1] la, Py_ssize_t n_bits, int k, const float[:, ::1] sgn,
              bint tailbiting, float[::1] ext, float[::1] app):
    """Log-MAP decoding of a rate-1/n convolutional code.

    ``la`` holds the a priori LLRs of the coded bits (n per input bit, 0 =
    unknown). Writes the extrinsic LLRs of the coded bits into ``ext`` and
    the a posteriori LLRs of the input bits into ``app``. A terminated code
    starts and ends in state 0; a tail-biting one starts where it ends (two
    laps of each recursion settle the wrap-around).
    """
    _check(la, n_bits, k, sgn, app)
    cdef int n_states = 1 << (k - 1)
    cdef int n_out = sgn.shape[1]
    cdef Py_ssize_t i
    cdef int s, ns, reg, o, lap, laps
    cdef double m, v, g, num, den
    if ext.shape[0] < n_bits * n_out:
        raise ValueError("bcjr_conv: ext too short")
    alpha_np = np.full((n_bits + 1, n_states), -1e30, dtype=np.float64)
    beta_np = np.full((n_bits + 1, n_states), -1e30, dtype=np.float64)
    gam_np = np.zeros((n_bits, 2 * n_states), dtype=np.float64)
    cdef double[:, ::1] al = alpha_np
    cdef double[:, ::1] be = beta_np
    cdef double[:, ::1] gm = gam_np
    num_np = np.zeros((n_out, 2), dtype=np.float64)
    cdef double[:, ::1] acc = num_np
    cdef double[::1] tmp = np.zeros(n_states, dtype=np.float64)
    laps = 2 if tailbiting else 1
    with nogil:
        for i in range(n_bits):
            for reg in range(2 * n_states):
                g = 0.0
                for o in range(n_out):
                    g = g + 0.5 * la[i * n_out + o] * sgn[reg, o]
                gm[i, reg] = g
        # forward
        for s in range(n_states):
            al[0, s] = 0.0 if (tailbiting or s == 0) else -1e30
        for lap in range(laps):
            if lap > 0:
                for s in range(n_states):
                    al[0, s] = al[n_bits, s]
            for i in range(n_bits):
                for ns in range(n_states):
                    # predecessors: reg = ns (top bit 0) or ns | n_states (top bit 1)
                    al[i + 1, ns] = _maxstar(al[i, ns >> 1] + gm[i, ns],
                                             al[i, (ns | n_states) >> 1] + gm[i, ns | n_states])
                m = al[i + 1, 0]
                for s in range(1, n_states):
                    if al[i + 1, s] > m:
                        m = al[i + 1, s]
                for s in range(n_states):
                    al[i + 1, s] -= m
        # backward
        for s in range(n_states):
            be[n_bits, s] = 0.0 if (tailbiting or s == 0) else -1e30
        for lap in range(laps):
            if lap > 0:
                for s in range(n_states):
                    be[n_bits, s] = be[0, s]
            i = n_bits - 1
            while i >= 0:
                for s in range(n_states):
                    # successors of s: reg = (s << 1) | b, next state reg & (n_states - 1)
                    reg = (s << 1) & (2 * n_states - 1)
                    tmp[s] = _maxstar(be[i + 1, reg & (n_states - 1)] + gm[i, reg],
                                      be[i + 1, (reg | 1) & (n_states - 1)] + gm[i, reg | 1])
                m = tmp[0]
                for s in range(1, n_states):
                    if tmp[s] > m:
                        m = tmp[s]
                for s in range(n_states):
                    be[i, s] = tmp[s] - m
                i -= 1
        # outputs
        for i in range(n_bits):
            for o in range(n_out):
                acc[o, 0] = -1e30
                acc[o, 1] = -1e30
            num = -1e30
            den = -1e30
            for reg in range(2 * n_states):
                s = reg >> 1
                ns = reg & (n_states - 1)
                v = al[i, s] + gm[i, reg] + be[i + 1, ns]
                if reg & 1:
                    num = _maxstar(num, v)
                else:
                    den = _maxstar(den, v)
                for o in range(n_out):
                    if sgn[reg, o] > 0:
                        acc[o, 1] = _maxstar(acc[o, 1], v)
                    else:
                        acc[o, 0] = _maxstar(acc[o, 0], v)
            app[i] = <float> (num - den)
            for o in range(n_out):
                ext[i * n_out + o] = <float> (acc[o, 1] - acc[o, 0] - la[i * n_out + o])
