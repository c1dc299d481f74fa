# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Iterative soft decoding of the SMOG repeat-accumulate code (sdrlink.coding.ra).

The code (see :mod:`sdrlink.coding.ra`) runs four passes over the data words,
each an accumulator of 16-bit words rotated by one bit per data word. Bit b of
the accumulator after element e of a pass depends on bit b+1 after element
e-1, so every pass is 16 independent two-state accumulator chains (one per
diagonal), each seeing every data bit once and observed on the channel only
where the pass emitted a code word. The decoder is belief propagation with
the chains decoded by forward-backward recursions in the LLR domain
(L = log P(0)/P(1)): A_e = Lc_e + A_(e-1) [+] La_e, B_(e-1) = (Lc_e + B_e) [+] La_e,
and the extrinsic value of the data bit at e is A_(e-1) [+] (Lc_e + B_e),
where [+] is the box-plus of two LLRs. The passes are visited in turn, each
using the others' latest extrinsic values (serial schedule).
"""

import numpy as np
cimport numpy as cnp
from libc.math cimport expf, fabsf, log1pf

cnp.import_array()

cdef float KNOWN = 1.0e4  # LLR of a certain bit
cdef float LIMIT = 60.0  # messages are clipped to this magnitude


# log(1 + exp(-x)) for x = 0, 1/16, 2/16, ... < 12 (linear interpolation between
# entries: error below 1e-4, where two calls of expf and log1pf per value made the
# decoder about four times slower); 0 beyond
cdef enum:
    CORR_STEP = 16
    CORR_N = 192
cdef float[CORR_N + 1] CORR
cdef int _i
for _i in range(CORR_N + 1):
    CORR[_i] = log1pf(expf(-(<float>_i) / CORR_STEP))


cdef inline float corr(float x) noexcept nogil:
    """log(1 + exp(-|x|)) from the table."""
    cdef float u = fabsf(x) * CORR_STEP
    cdef int i
    if u >= CORR_N:
        return 0.0
    i = <int>u
    return CORR[i] + (u - i) * (CORR[i + 1] - CORR[i])


cdef inline float boxplus(float a, float b) noexcept nogil:
    cdef float aa = fabsf(a), ab = fabsf(b)
    cdef float m = aa if aa < ab else ab
    cdef float s = 1.0
    if (a < 0) != (b < 0):
        s = -1.0
    return s * m + corr(a + b) - corr(a - b)


cdef inline float clip(float x) noexcept nogil:
    if x > LIMIT:
        return LIMIT
    if x < -LIMIT:
        return -LIMIT
    return x


def ra_decode(const float[::1] lc, int k, const int[:, ::1] seq, const int[:, ::1] out_word,
              int iterations, float[::1] total):
    """Decode: ``lc`` code-bit LLRs indexed word*16 + bit; ``seq[p, e]`` the data word
    pass p visits at element e; ``out_word[p, e]`` the code word emitted after that
    element or -1. Writes the data bits' LLRs (word*16 + bit) into ``total``."""
    cdef int n_bits = k * 16
    if seq.shape[0] != 4 or seq.shape[1] != k or out_word.shape[0] != 4 \
            or out_word.shape[1] != k or total.shape[0] != n_bits:
        raise ValueError("RA decoder: inconsistent table shapes")
    ext_arr = np.zeros((4, n_bits), np.float32)
    fwd_arr = np.zeros((k, 16), np.float32)
    cdef float[:, ::1] ext = ext_arr
    cdef float[:, ::1] fwd = fwd_arr
    cdef int it, p, e, c, b, d, w
    cdef float a, lce, la, bwd, x, new
    cdef float[16] back
    with nogil:
        for d in range(n_bits):
            total[d] = 0.0
        for it in range(iterations):
            for p in range(4):
                # forward: fwd[e, c] = A after element e of chain c
                for e in range(k):
                    w = out_word[p, e]
                    for c in range(16):
                        b = (c - e) % 16
                        if b < 0:
                            b += 16
                        d = seq[p, e] * 16 + b
                        la = total[d] - ext[p, d]
                        a = KNOWN if e == 0 else fwd[e - 1, c]
                        lce = lc[w * 16 + b] if w >= 0 else 0.0
                        fwd[e, c] = clip(lce + boxplus(a, la))
                # backward, with the extrinsic values
                for c in range(16):
                    back[c] = 0.0
                for e in range(k - 1, -1, -1):
                    w = out_word[p, e]
                    for c in range(16):
                        b = (c - e) % 16
                        if b < 0:
                            b += 16
                        d = seq[p, e] * 16 + b
                        la = total[d] - ext[p, d]
                        lce = lc[w * 16 + b] if w >= 0 else 0.0
                        bwd = lce + back[c]
                        a = KNOWN if e == 0 else fwd[e - 1, c]
                        new = clip(boxplus(a, bwd))
                        total[d] += new - ext[p, d]
                        ext[p, d] = new
                        back[c] = clip(boxplus(bwd, la))
