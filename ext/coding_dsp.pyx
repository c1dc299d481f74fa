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


def hdlc_marks(const unsigned char[::1] bits, long long[::1] flags, long long[::1] sixes):
    """Start indices of every flag (01111110) and of every window of six 1s in 0/1
    ``bits``, in one pass; returns (number of flags, number of sixes).

    ``flags`` and ``sixes`` must each hold ``len(bits)`` entries.
    """
    cdef Py_ssize_t n = bits.shape[0], i, nf = 0, ns = 0
    cdef unsigned int w = 0  # the last 8 bits, newest lowest
    if flags.shape[0] < n or sixes.shape[0] < n:
        raise ValueError("outputs shorter than input")
    with nogil:
        for i in range(n):
            w = ((w << 1) | (bits[i] & 1)) & 0xFF
            if i >= 5 and (w & 0x3F) == 0x3F:
                sixes[ns] = i - 5
                ns += 1
            if i >= 7 and w == 0x7E:
                flags[nf] = i - 7
                nf += 1
    return nf, ns


def hdlc_pairs(const unsigned char[::1] bits, long long first, long long[::1] st,
               long long min_bits, long long max_bits, long long[::1] pairs):
    """The flag pairs of an HDLC bit stream that may enclose a frame, found as the
    bits arrive: (opening flag, closing flag) start positions, absolute, written to
    ``pairs`` two by two; returns the number of pairs.

    A pair is two consecutive flags (01111110) whose ``c - a - 8`` bits between
    them number ``min_bits`` to ``max_bits`` and hold no six 1s in a row (an abort,
    or noise: such a pair never holds a frame). ``bits[0]`` has the absolute index
    ``first``; ``st`` = [the last 8 bits, newest lowest; the last flag's start (-1:
    none); the last two starts of six 1s], updated in place, so a stream fed in
    pieces gives the pairs the whole stream gives (each once, when its closing
    flag arrives). ``pairs`` must hold ``len(bits) // 4 + 2`` entries.
    """
    cdef Py_ssize_t n = bits.shape[0], i, k = 0
    cdef unsigned int w = <unsigned int>st[0]
    cdef long long last_flag = st[1], last_six = st[2], prev_six = st[3], p, a, c, nb
    if st.shape[0] < 4 or pairs.shape[0] < n // 4 + 2:
        raise ValueError("state must hold 4 values and pairs len(bits) // 4 + 2")
    with nogil:
        for i in range(n):
            p = first + i
            w = ((w << 1) | (bits[i] & 1)) & 0xFF
            if p >= 5 and (w & 0x3F) == 0x3F:
                prev_six = last_six
                last_six = p - 5
            if p >= 7 and w == 0x7E:
                c = p - 7
                a = last_flag
                # the flag's own six 1s start at c + 1 and were the last found; any
                # other six between the flags starts at or before c - 6 (a window
                # starting later would hold the flag's first bit, a 0)
                if a >= 0:
                    nb = c - a - 8
                    if min_bits <= nb <= max_bits and prev_six < a + 8 and k + 2 <= pairs.shape[0]:
                        pairs[k] = a
                        pairs[k + 1] = c
                        k += 2
                last_flag = c
    st[0] = w
    st[1] = last_flag
    st[2] = last_six
    st[3] = prev_six
    return k // 2


def g3ruh_nrzi_decode(const unsigned char[::1] line, unsigned char[::1] tail, int level,
                      bint g3ruh, unsigned char[::1] out):
    """Line bits -> HDLC bits: G3RUH descrambling (``g3ruh``: d[i] = l[i] ^ l[i-12] ^
    l[i-17]) then NRZI (1 where the level did not change).

    ``tail`` holds the 17 line bits before ``line`` (oldest first) and is updated in
    place; ``level`` is the last descrambled bit before ``line``. Returns the new
    last descrambled bit (the next call's ``level``).
    """
    cdef Py_ssize_t n = line.shape[0], i
    cdef unsigned int h = 0  # the last 17 line bits, newest lowest
    cdef unsigned char d
    if tail.shape[0] != 17 or out.shape[0] < n:
        raise ValueError("tail must hold 17 bits and out the line's length")
    for i in range(17):
        h = (h << 1) | (tail[i] & 1)
    with nogil:
        for i in range(n):
            d = line[i] & 1
            if g3ruh:
                d = d ^ ((h >> 11) & 1) ^ ((h >> 16) & 1)
            h = ((h << 1) | (line[i] & 1)) & 0x1FFFF
            out[i] = 1 ^ d ^ level
            level = d
    for i in range(17):
        tail[i] = (h >> (16 - i)) & 1
    return level
