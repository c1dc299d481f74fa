"""The repeat-accumulate (RA) code of SMOG-P, ATL-1 and SMOG-1 (BME, Budapest).

Miklos Maroti's RA code, as the satellites' ground software and gr-satellites
use it (facts from gr-satellites' ``lib/radecoder``: ``ra_config.c``,
``ra_lfsr.c``, ``ra_encoder.c``, ``decode_ra_code_impl.cc``):

* data: K 16-bit words (little-endian byte pairs; K = 64 or 128 for the
  128- and 256-byte frames);
* four passes over the data, each in its own pseudo-random order: an LFSR of
  ``highbit + 1`` bits (highbit 4, plus one per halving of K down to below
  32) with feedback mask ``MASKS[highbit][pass]`` (maximal-length masks from
  Koopman's tables), started at ``1 + pass + offset``, ``offset = K >> (1 +
  pass)``; states above K are skipped and state s gives word
  ``(s - 1 - offset) mod K``. Each pass visits every word once and ends with
  word ``pass``;
* in a pass, an accumulator word (starting at 0) is rotated right by one bit
  and XORed with each visited data word; pass 0 emits the accumulator after
  every word, passes 1-3 after every third (and after the last): K +
  3*ceil(K/3) code words (rate about 1/2);
* code words go on air as little-endian byte pairs, each byte MSB first.

Decoding is soft belief propagation (``ext/ra_dsp.pyx``), 20 iterations as
gr-satellites does. The code has no check of its own; :meth:`RaCode.decode`
reports how many hard channel bits disagree with the re-encoded result, by
which callers reject noise.
"""

from __future__ import annotations

import functools

import numpy as np

from sdrlink._ext import ra_dsp  # type: ignore[attr-defined]

MASKS = {
    4: (0x12, 0x17, 0x1B, 0x1E),
    5: (0x21, 0x2D, 0x30, 0x39),
    6: (0x41, 0x53, 0x69, 0x7B),
    7: (0x8E, 0xAF, 0xC3, 0xE7),
    8: (0x108, 0x13B, 0x168, 0x1DC),
    9: (0x204, 0x2E3, 0x369, 0x3AA),
    10: (0x415, 0x4BF, 0x553, 0x62B),
    11: (0x83E, 0x939, 0xAF5, 0xD70),
    12: (0x1013, 0x109D, 0x117D, 0x1271),
}
PUNCTURE = 3
ITERATIONS = 20


def _rotr(word: int) -> int:
    return (word >> 1) | ((word & 1) << 15)


class RaCode:
    """The RA code for ``k`` data words (4 <= k <= 2048)."""

    def __init__(self, k: int) -> None:
        if not 4 <= k <= 2048:
            raise ValueError("RA code: 4..2048 data words")
        self.k = k
        self.checks = -(-k // PUNCTURE)
        self.n = k + 3 * self.checks
        highbit, d = 4, k
        while d >= 32:
            d //= 2
            highbit += 1
        self.seq = np.array([self._order(MASKS[highbit][p], p) for p in range(4)], np.int32)
        out = np.full((4, k), -1, np.int32)
        out[0] = np.arange(k)
        ends = np.unique(np.r_[np.arange(PUNCTURE - 1, k, PUNCTURE), k - 1])
        for p in range(1, 4):
            out[p, ends] = k + (p - 1) * self.checks + np.arange(len(ends))
        self.out_word = out

    def _order(self, mask: int, p: int) -> list[int]:
        offset = self.k >> (1 + p)
        state = 1 + p + offset
        order = []
        for _ in range(self.k):
            while True:
                low = state & 1
                state >>= 1
                if low:
                    state ^= mask
                if state <= self.k:
                    break
            idx = state - 1
            order.append(idx + self.k - offset if idx < offset else idx - offset)
        return order

    def encode(self, data: bytes) -> bytes:
        """The 2n code bytes of 2k data bytes."""
        if len(data) != 2 * self.k:
            raise ValueError(f"RA code: {2 * self.k} data bytes expected")
        words = np.frombuffer(bytes(data), "<u2").tolist()
        out = np.zeros(self.n, np.uint16)
        for p in range(4):
            acc = 0
            for pos, w in zip(self.seq[p].tolist(), self.out_word[p].tolist(), strict=True):
                acc = _rotr(acc) ^ words[pos]
                if w >= 0:
                    out[w] = acc
        return out.astype("<u2").tobytes()

    def decode(self, soft: np.ndarray, iterations: int = ITERATIONS) -> tuple[bytes, int]:
        """Decode 16n soft symbols in air order (> 0 = bit 1): (2k data bytes, hard
        channel bits that disagree with the data re-encoded). ``iterations`` of
        belief propagation (fewer: a cheap first look)."""
        s = np.asarray(soft, dtype=np.float32)
        if len(s) != 16 * self.n:
            raise ValueError(f"RA code: {16 * self.n} soft symbols expected")
        if not np.isfinite(s).all() or float(np.abs(s).max()) > _SOFT_MAX:
            # one NaN would poison every LLR (the scale is a mean): NaN and infinities
            # become erasures, huge values are clipped
            s = np.clip(np.nan_to_num(s, nan=0.0, posinf=0.0, neginf=0.0), -_SOFT_MAX, _SOFT_MAX)
        mag = np.abs(s)
        amp = float(mag.mean())
        var = float(((mag - amp) ** 2).mean())
        scale = 2.0 * amp / max(var, 1e-3 * amp * amp, 1e-12)
        # air order (bytes MSB first) -> word*16 + bit, LLR = log P(0)/P(1)
        lc = -(scale * s).reshape(-1, 8)[:, ::-1].ravel()
        total = np.zeros(16 * self.k, np.float32)
        ra_dsp.ra_decode(
            np.ascontiguousarray(lc, np.float32), self.k, self.seq, self.out_word, iterations, total
        )
        data = np.packbits((total < 0).astype(np.uint8).reshape(-1, 8), bitorder="little")
        data_bytes = data.tobytes()
        recoded = np.unpackbits(np.frombuffer(self.encode(data_bytes), np.uint8))
        errors = int(np.count_nonzero(recoded != (s > 0)))
        return data_bytes, errors


_SOFT_MAX = 1e12  # larger magnitudes would overflow the variance in float


@functools.cache
def ra_code(k: int) -> RaCode:
    """The (cached) RA code for ``k`` data words."""
    return RaCode(k)
