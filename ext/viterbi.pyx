# cython: language_level=3
"""Soft-decision Viterbi decoding of rate-1/2 convolutional codes (K <= 9).

Conventions (shared with ``sdrlink.coding.convolutional``): the encoder
register holds the newest input bit in its LSB; state = the last K-1 input
bits (newest in bit 0); the two outputs of a step are given by ``out_tab``
indexed by the K-bit register, ``2*c0 + c1`` (inversions already applied).
Soft symbols are float32, > 0 meaning bit 1, the magnitude the confidence;
the path metric is the correlation sum(+-s), maximised, so the decoder does
not depend on the symbols' scale.

Decisions are bytes, one per state and step, in butterfly order (see
``_acs_step``): 0 when state d came from ``d >> 1``, 1 from ``(d >> 1) + ns/2``.
"""

import numpy as np
cimport numpy as cnp
from libc.stdint cimport int64_t

cnp.import_array()

DEF MAXS = 256          # most states (K = 9)
DEF NORM_EVERY = 16     # metrics are renormalised at absolute steps multiple of this


cdef struct Trellis:
    int k
    int ns
    bint antipodal      # both generators tap the newest and the oldest bit
    float g[4 * MAXS]   # +-1 signs of the two outputs for each branch (see _prepare)
    float bm[2 * MAXS]  # branch metrics of the current step
    float ne[MAXS / 2]
    float no[MAXS / 2]


cdef int _prepare(Trellis* tr, int k, const unsigned char[::1] out_tab) except -1:
    """Branch signs in butterfly order: for j < ns/2, group A = register 2j
    (predecessor j, input 0), B = 2j + ns (predecessor j + ns/2, input 0),
    C = 2j + 1, D = 2j + 1 + ns; sign0 at g[i], sign1 at g[2*ns + i] with i =
    j, j + ns/2, j + ns, j + 3*ns/2 for A, B, C, D."""
    cdef int ns, half, j, i, g, reg
    cdef int regs[4]
    if k < 2 or k > 9:
        raise ValueError("constraint length must be 2..9")
    if out_tab.shape[0] != (1 << k):
        raise ValueError("output table must have 2**k entries")
    ns = 1 << (k - 1)
    half = ns >> 1
    tr.k = k
    tr.ns = ns
    tr.antipodal = 1
    for j in range(half):
        regs[0] = 2 * j
        regs[1] = 2 * j + ns
        regs[2] = 2 * j + 1
        regs[3] = 2 * j + 1 + ns
        for g in range(4):
            reg = regs[g]
            i = j + g * half
            tr.g[i] = 1.0 if out_tab[reg] & 2 else -1.0
            tr.g[2 * ns + i] = 1.0 if out_tab[reg] & 1 else -1.0
        if (out_tab[regs[1]] != (out_tab[regs[0]] ^ 3)
                or out_tab[regs[2]] != (out_tab[regs[0]] ^ 3)
                or out_tab[regs[3]] != out_tab[regs[0]]):
            tr.antipodal = 0
    return 0


cdef inline void _acs_step(Trellis* tr, float* metric, float s0, float s1,
                           unsigned char* dec, bint renorm) noexcept nogil:
    """One add-compare-select step over all states, branch-free and laid out
    for the compiler's vectoriser. ``dec[(d >> 1) + (d & 1) * ns/2]`` = 1 when
    state d came from predecessor (d >> 1) + ns/2."""
    cdef int j, ns = tr.ns, half = tr.ns >> 1
    cdef float a, b, x0, x1, y0, y1, m, ref
    cdef float* bm = tr.bm
    cdef float* g = tr.g
    cdef float* ne = tr.ne
    cdef float* no = tr.no
    if tr.antipodal:
        for j in range(half):
            bm[j] = g[j] * s0 + g[2 * ns + j] * s1
        for j in range(half):
            a = metric[j]
            b = metric[j + half]
            m = bm[j]
            x0 = a + m
            y0 = b - m
            x1 = a - m
            y1 = b + m
            dec[j] = y0 > x0
            dec[j + half] = y1 > x1
            ne[j] = y0 if y0 > x0 else x0
            no[j] = y1 if y1 > x1 else x1
    else:
        for j in range(2 * ns):
            bm[j] = g[j] * s0 + g[2 * ns + j] * s1
        for j in range(half):
            a = metric[j]
            b = metric[j + half]
            x0 = a + bm[j]
            y0 = b + bm[j + half]
            x1 = a + bm[j + ns]
            y1 = b + bm[j + ns + half]
            dec[j] = y0 > x0
            dec[j + half] = y1 > x1
            ne[j] = y0 if y0 > x0 else x0
            no[j] = y1 if y1 > x1 else x1
    ref = ne[0] if renorm else 0.0
    for j in range(half):
        metric[2 * j] = ne[j] - ref
        metric[2 * j + 1] = no[j] - ref


cdef inline int _best(const float* metric, int ns) noexcept nogil:
    cdef int s, best = 0
    cdef float bm = metric[0]
    for s in range(1, ns):
        if metric[s] > bm:
            bm = metric[s]
            best = s
    return best


cdef inline int _prev_state(const unsigned char* row, int state, int k) noexcept nogil:
    """Predecessor of ``state`` according to the decisions of its step."""
    cdef int half = 1 << (k - 2)
    cdef int x = row[(state >> 1) + (state & 1) * half]
    return (state >> 1) | (x << (k - 2))


def check_code(int k, const unsigned char[::1] out_tab):
    """Raise ValueError unless ``k`` and the output table fit the decoder."""
    cdef Trellis tr
    _prepare(&tr, k, out_tab)


def is_antipodal(int k, const unsigned char[::1] out_tab):
    """True when the fast butterfly path applies (both generators tap the
    newest and the oldest bit, as every practical code does)."""
    cdef Trellis tr
    _prepare(&tr, k, out_tab)
    return bool(tr.antipodal)


def block_decode(const float[::1] soft, int k, const unsigned char[::1] out_tab,
                 int start_state, int end_state, unsigned char[::1] out):
    """Decode ``len(soft) // 2`` steps of one block into ``out`` (0/1 per step).

    ``start_state`` < 0: any start state; otherwise the encoder started there.
    ``end_state`` < 0: trace back from the best final state; otherwise from
    that one (a terminated code ends in state 0). Returns the number of steps.
    """
    cdef Trellis tr
    _prepare(&tr, k, out_tab)
    cdef int ns = tr.ns
    cdef Py_ssize_t n = soft.shape[0] // 2
    cdef Py_ssize_t t
    cdef int s, state
    cdef float metric[MAXS]
    cdef bint renorm
    if out.shape[0] < n:
        raise ValueError("output shorter than the number of steps")
    if start_state >= ns or end_state >= ns:
        raise ValueError("state out of range")
    dec_arr = np.empty((max(n, 1), ns), dtype=np.uint8)
    cdef unsigned char[:, ::1] dec = dec_arr
    for s in range(ns):
        metric[s] = 0.0 if (start_state < 0 or s == start_state) else -1e30
    with nogil:
        for t in range(n):
            # with a known start, unreachable states hold -1e30 for the first k-1 steps
            renorm = (t & (NORM_EVERY - 1)) == NORM_EVERY - 1 and (start_state < 0 or t >= k)
            _acs_step(&tr, metric, soft[2 * t], soft[2 * t + 1], &dec[t, 0], renorm)
        state = end_state if end_state >= 0 else _best(metric, ns)
        t = n - 1
        while t >= 0:
            out[t] = state & 1
            state = _prev_state(&dec[t, 0], state, k)
            t -= 1
    return n


def stream_decode(const float[::1] soft, int k, const unsigned char[::1] out_tab,
                  float[::1] metric, unsigned char[:, ::1] ring, int64_t[::1] counters,
                  int depth, int every, unsigned char[::1] out, bint final):
    """Continue a streaming decode over ``len(soft) // 2`` new steps.

    State kept by the caller: ``metric`` (ns path metrics), ``ring`` (decision
    rows of ns bytes, at least depth + every + 1 of them; step t in row
    t % rows) and ``counters`` = [steps done, bits emitted]. At every absolute
    step count that is a multiple of ``every`` the decoder traces back from
    the best state, skips ``depth`` steps and emits the older bits not yet
    emitted, so the output depends only on the symbols, never on how they
    were cut into calls. ``final`` traces back from the best state at the end
    and emits everything. Returns the number of bits written to ``out``.
    """
    cdef Trellis tr
    _prepare(&tr, k, out_tab)
    cdef int ns = tr.ns
    cdef Py_ssize_t rows = ring.shape[0]
    cdef Py_ssize_t n = soft.shape[0] // 2
    cdef int64_t t = counters[0], emitted = counters[1], tt, stop
    cdef Py_ssize_t i, nout = 0
    cdef int state
    if metric.shape[0] != ns:
        raise ValueError("metric array must have 2**(k-1) entries")
    if rows < depth + every + 1 or ring.shape[1] != ns:
        raise ValueError("decision ring has the wrong shape")
    if out.shape[0] < n + depth + every:
        raise ValueError("output buffer too small")
    with nogil:
        for i in range(n):
            _acs_step(&tr, &metric[0], soft[2 * i], soft[2 * i + 1], &ring[t % rows, 0],
                      (t & (NORM_EVERY - 1)) == NORM_EVERY - 1)
            t += 1
            if t % every == 0 and t - depth > emitted:
                stop = t - depth
                state = _best(&metric[0], ns)
                tt = t - 1
                while tt >= stop:
                    state = _prev_state(&ring[tt % rows, 0], state, k)
                    tt -= 1
                # state is now the one after step stop-1: emit steps stop-1 down to emitted
                tt = stop - 1
                while tt >= emitted:
                    out[nout + (tt - emitted)] = state & 1
                    state = _prev_state(&ring[tt % rows, 0], state, k)
                    tt -= 1
                nout += stop - emitted
                emitted = stop
        if final and t > emitted:
            state = _best(&metric[0], ns)
            tt = t - 1
            while tt >= emitted:
                out[nout + (tt - emitted)] = state & 1
                state = _prev_state(&ring[tt % rows, 0], state, k)
                tt -= 1
            nout += t - emitted
            emitted = t
    counters[0] = t
    counters[1] = emitted
    return nout
