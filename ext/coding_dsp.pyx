# cython: language_level=3
"""Bit-level kernels of the framings and codings (sdrlink.framing, sdrlink.coding).

Stateless functions over 0/1 arrays: the callers keep any state between blocks.
(Viterbi decoding is in ext/viterbi.pyx.)
"""


def hdlc_unstuff(const unsigned char[::1] bits, unsigned char[::1] out):
    """Remove HDLC stuffed zeros (the 0 after five 1s) from 0/1 ``bits``.

    Writes the unstuffed bits to ``out`` (at least as long as ``bits``) and
    returns their count, or -1 when six 1s occur in a row (abort, or not a
    frame).
    """
    cdef Py_ssize_t n = bits.shape[0], i, k = 0
    cdef int run = 0
    cdef unsigned char b
    if out.shape[0] < n:
        raise ValueError("output shorter than input")
    with nogil:
        for i in range(n):
            b = bits[i]
            if b:
                run += 1
                if run == 6:
                    k = -1
                    break
                out[k] = 1
                k += 1
            else:
                if run != 5:
                    out[k] = 0
                    k += 1
                run = 0
    return k


cdef inline int _popcount64(unsigned long long v) noexcept nogil:
    v = v - ((v >> 1) & 0x5555555555555555ULL)
    v = (v & 0x3333333333333333ULL) + ((v >> 2) & 0x3333333333333333ULL)
    v = (v + (v >> 4)) & 0x0F0F0F0F0F0F0F0FULL
    return <int>((v * 0x0101010101010101ULL) >> 56)


def sync_search(const unsigned char[::1] bits, unsigned long long pattern, int n,
                int max_errors, long long[::1] idx, unsigned char[::1] inverted):
    """Starts of every ``n``-bit ``pattern`` (n <= 64, first bit in the MSB) in
    0/1 ``bits`` with at most ``max_errors`` bit errors, or whose complement
    matches that well (``inverted`` = 1). A shift register and a popcount per
    bit. Returns the number of hits written (``idx`` must hold len(bits))."""
    cdef Py_ssize_t m = bits.shape[0], i, k = 0
    cdef unsigned long long reg = 0
    cdef unsigned long long mask = 0xFFFFFFFFFFFFFFFFULL if n >= 64 else ((1ULL << n) - 1)
    cdef int e
    if n < 1 or n > 64:
        raise ValueError("pattern length must be 1..64 bits")
    with nogil:
        for i in range(m):
            reg = ((reg << 1) | (bits[i] & 1)) & mask
            if i >= n - 1:
                e = _popcount64(reg ^ pattern)
                if e <= max_errors or e >= n - max_errors:
                    idx[k] = i - n + 1
                    inverted[k] = e > max_errors
                    k += 1
    return k
