"""Rate-1/2 convolutional codes: NumPy encoder, soft-decision Viterbi decoders.

A code is given as in the CCSDS blue book (131.0-B, section 3): constraint
length ``k`` and two generator connection vectors written MSB first, the MSB
multiplying the newest input bit (CCSDS: G1 = 171, G2 = 133 octal, i.e.
1 + D + D^2 + D^3 + D^6 and 1 + D^2 + D^3 + D^5 + D^6), each output
optionally inverted (CCSDS inverts G2's). Every input bit gives two channel
symbols, G1's first.

Decoders take soft symbols (float32, > 0 = bit 1, magnitude = confidence,
any scale: the metric is a correlation). :class:`ViterbiStream` decodes a
continuous stream block by block, its output independent of how the stream
is cut; :func:`viterbi_block` decodes one framed block (known or unknown start
state, terminated or not). The kernels are in ``ext/viterbi.pyx``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from sdrlink._ext import viterbi as _vit
from sdrlink.errors import ConfigError


def _reverse(value: int, nbits: int) -> int:
    return int(f"{value:0{nbits}b}"[::-1], 2)


@dataclass(frozen=True)
class ConvCode:
    """A rate-1/2 code: ``k``, generators (CCSDS notation, MSB = newest bit), inversions."""

    k: int
    polys: tuple[int, int]
    invert: tuple[bool, bool] = (False, False)

    def __post_init__(self) -> None:
        if not 2 <= self.k <= 9:
            raise ConfigError(f"convolutional code: constraint length {self.k} not in 2..9")
        for p in self.polys:
            if not 0 < p < (1 << self.k):
                raise ConfigError(f"convolutional code: generator {p:o} (octal) has > k bits")

    @property
    def taps(self) -> tuple[int, int]:
        """Generators with the newest bit in the LSB (the kernels' convention)."""
        return (_reverse(self.polys[0], self.k), _reverse(self.polys[1], self.k))

    def out_table(self) -> np.ndarray:
        """``2*c0 + c1`` for every k-bit register value (newest bit in the LSB)."""
        reg = np.arange(1 << self.k, dtype=np.int64)
        t0, t1 = self.taps
        c0 = _parity(reg & t0) ^ int(self.invert[0])
        c1 = _parity(reg & t1) ^ int(self.invert[1])
        return (2 * c0 + c1).astype(np.uint8)


def _parity(v: np.ndarray) -> np.ndarray:
    v = v ^ (v >> 8)
    v = v ^ (v >> 4)
    v = v ^ (v >> 2)
    v = v ^ (v >> 1)
    return v & 1


#: the codes gr-satellites' CCSDS deframers name (``convolutional`` option)
CCSDS = ConvCode(7, (0o171, 0o133), (False, True))
NAMED_CODES: dict[str, ConvCode] = {
    "ccsds": CCSDS,
    "nasa-dsn": ConvCode(7, (0o133, 0o171), (True, False)),
    "ccsds uninverted": ConvCode(7, (0o171, 0o133), (False, False)),
    "nasa-dsn uninverted": ConvCode(7, (0o133, 0o171), (False, False)),
}


def named_code(name: str) -> ConvCode:
    """One of :data:`NAMED_CODES` by name (case-insensitive); ConfigError otherwise."""
    key = " ".join(str(name).split()).lower()
    if key not in NAMED_CODES:
        raise ConfigError(
            f"unknown convolutional code {name!r}; choose one of: "
            + ", ".join(("CCSDS", "NASA-DSN", "CCSDS uninverted", "NASA-DSN uninverted"))
        )
    return NAMED_CODES[key]


def conv_encode(bits: np.ndarray, code: ConvCode = CCSDS, state: int = 0) -> np.ndarray:
    """Channel bits (0/1, two per input bit) of ``bits``; ``state`` = the k-1 bits
    before them (newest in the LSB), 0 for an encoder started from zeros."""
    u = np.asarray(bits, dtype=np.uint8) & 1
    m = code.k - 1
    hist = np.array([(state >> (m - 1 - i)) & 1 for i in range(m)], dtype=np.uint8)
    ext = np.concatenate([hist, u])  # ext[m + t] = u[t]
    n = len(u)
    out = np.empty((n, 2), dtype=np.uint8)
    for j, poly in enumerate(code.taps):
        acc = np.zeros(n, dtype=np.uint8)
        for delay in range(code.k):
            if (poly >> delay) & 1:
                acc ^= ext[m - delay : m - delay + n]
        out[:, j] = acc ^ int(code.invert[j])
    return out.ravel()


_SOFT_MAX = 1e12  # larger magnitudes could overflow the float32 path metrics


def _soft(soft: np.ndarray) -> np.ndarray:
    """Contiguous float32 symbols; NaN and infinities become erasures (0), which would
    otherwise poison every path metric from there on."""
    s = np.ascontiguousarray(soft, dtype=np.float32)
    if s.ndim != 1:
        raise ValueError("soft symbols must be one-dimensional")
    if not np.isfinite(s).all() or (len(s) and float(np.abs(s).max()) > _SOFT_MAX):
        s = np.clip(np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0), -_SOFT_MAX, _SOFT_MAX)
    return s


def viterbi_block(
    soft: np.ndarray,
    code: ConvCode = CCSDS,
    start_state: int | None = 0,
    terminated: bool = True,
) -> np.ndarray:
    """Decode one block of ``len(soft) // 2`` steps; returns the 0/1 input bits.

    ``start_state`` None: the encoder may have started anywhere. ``terminated``:
    the block ends with k-1 zero tail bits (state 0); they are included in
    the output (strip them as the framing requires).
    """
    s = _soft(soft)
    out = np.zeros(len(s) // 2, dtype=np.uint8)
    ns = 1 << (code.k - 1)
    if start_state is not None and not 0 <= start_state < ns:
        raise ValueError("start state out of range")
    _vit.block_decode(
        s,
        code.k,
        code.out_table(),
        -1 if start_state is None else int(start_state),
        0 if terminated else -1,
        out,
    )
    return out


def channel_errors(soft: np.ndarray, bits: np.ndarray, code: ConvCode, state: int = 0) -> int:
    """How many hard decisions of ``soft`` disagree with ``bits`` re-encoded: the
    channel bit errors the decoder corrected (a quality figure for frames)."""
    hard = (np.asarray(soft)[: 2 * len(bits)] > 0).astype(np.uint8)
    return int(np.count_nonzero(hard != conv_encode(bits, code, state)[: len(hard)]))


class ViterbiStream:
    """Continuous soft-decision decoding of a stream, block by block.

    Every ``every`` steps (absolute count) the decoder traces back from the
    best state and releases the bits older than ``depth`` steps, so the
    decoded bits lag the symbols by ``depth`` to ``depth + every`` steps and do
    not depend on the block sizes. The start state is unknown (decoding can
    start anywhere in a transmission). :meth:`flush` releases the rest.

    ``depth`` 96 leaves margin for K=7: over 2 million bits at 3 dB Eb/N0,
    depths of 64 and more make exactly the errors of one traceback over the
    whole stream (depth 32: 5 % more).
    """

    def __init__(self, code: ConvCode = CCSDS, depth: int = 96, every: int = 64) -> None:
        if depth < 1 or every < 1:
            raise ValueError("depth and every must be positive")
        self.code = code
        self.depth = int(depth)
        self.every = int(every)
        self._tab = code.out_table()
        ns = 1 << (code.k - 1)
        self._metric = np.zeros(ns, np.float32)
        self._ring = np.zeros((self.depth + self.every + 1, ns), np.uint8)
        self._counters = np.zeros(2, np.int64)  # steps done, bits emitted
        self._odd = np.zeros(0, np.float32)  # a symbol waiting for its pair

    @property
    def steps(self) -> int:
        """Decoding steps done (symbol pairs consumed)."""
        return int(self._counters[0])

    @property
    def emitted(self) -> int:
        """Bits released so far (bit i decodes symbols 2i and 2i+1 of the stream)."""
        return int(self._counters[1])

    def process(self, soft: np.ndarray) -> np.ndarray:
        """Feed symbols; returns the bits now decided (0/1, in order)."""
        return self._run(soft, final=False)

    def flush(self) -> np.ndarray:
        """No more symbols: release every remaining bit (from the best final state)."""
        return self._run(np.zeros(0, np.float32), final=True)

    def _run(self, soft: np.ndarray, final: bool) -> np.ndarray:
        s = _soft(soft)
        if len(self._odd):
            s = np.concatenate([self._odd, s])
        n = len(s) // 2
        self._odd = s[2 * n :].copy()
        out = np.empty(n + self.depth + self.every + 1, np.uint8)
        k = _vit.stream_decode(
            s[: 2 * n],
            self.code.k,
            self._tab,
            self._metric,
            self._ring,
            self._counters,
            self.depth,
            self.every,
            out,
            final,
        )
        return out[:k].copy()
