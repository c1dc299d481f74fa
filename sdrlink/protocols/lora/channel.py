"""Channel selection for the LoRa receiver: NCO, anti-alias low-pass, resampling to 1 chip/sample.

Output sample ``k`` of a channel stream sits at input position ``p0 + k * step``
(``step = fs / bw`` input samples per chip), filtered by a windowed-sinc
low-pass whose cut-off is ``bw / 2`` (half amplitude there, so the band edge
is shared fairly with its alias). Positions are absolute, so the output never
depends on how the input was cut into blocks.
"""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np

from sdrlink._ext import lora_dsp
from sdrlink.dsp.nco import Nco


def design_bank(ratio: float, half_chips: int, phases: int) -> tuple[np.ndarray, int]:
    """Polyphase bank (phases, 2L) for an input/output rate ``ratio`` >= 1 and its L.

    Row q holds the taps for a position ``q / phases`` of an input sample past
    ``floor(p)``; tap t multiplies input ``floor(p) - L + 1 + t``.
    """
    half = max(1, int(math.ceil(half_chips * ratio)))
    t = np.arange(2 * half, dtype=np.float64)
    frac = np.arange(phases, dtype=np.float64)[:, None] / phases
    tau = (half - 1 - t)[None, :] + frac  # p - n in input samples
    fc = 0.5 / ratio  # cycles per input sample
    h = 2 * fc * np.sinc(2 * fc * tau)
    arg = np.clip(tau / half, -1.0, 1.0)
    h *= np.i0(8.0 * np.sqrt(1 - arg**2)) / np.i0(8.0)  # Kaiser window
    h /= h.sum(axis=1, keepdims=True)
    return h.astype(np.float32), half


class SampleBuffer:
    """Growable complex64 buffer of a stream, addressed by absolute sample index.

    Forgetting old samples (:meth:`trim`) only moves a mark; the samples are
    moved to the front when the forgotten part outgrows the kept one, so a
    long kept span is not copied again on every block.
    """

    def __init__(self) -> None:
        self._data = np.zeros(1 << 12, dtype=np.complex64)
        self.start = 0  # absolute index of the first kept sample (at _data[_off])
        self._off = 0
        self._len = 0
        self._last = 0  # length of the last append: room for the next is kept

    @property
    def stop(self) -> int:
        return self.start + self._len

    def append(self, x: np.ndarray) -> None:
        n = len(x)
        if self._off + self._len + n > len(self._data):
            kept = self._data[self._off : self._off + self._len]
            if 2 * (self._len + n) > len(self._data):  # room for as much again: O(1) a sample
                new = np.empty(2 * (self._len + n), dtype=np.complex64)
                new[: self._len] = kept
                self._data = new
            else:  # move the kept samples to the front
                self._data[: self._len] = kept
            self._off = 0
        at = self._off + self._len
        self._data[at : at + n] = x
        self._len += n
        self._last = n

    def view(self, a: int, b: int) -> np.ndarray:
        """Samples [a, b) (absolute); the part outside the buffer is zero."""
        o = self._off - self.start
        if a >= self.start and b <= self.stop:
            return self._data[a + o : b + o]
        out = np.zeros(max(b - a, 0), dtype=np.complex64)
        lo, hi = max(a, self.start), min(b, self.stop)
        if hi > lo:
            out[lo - a : hi - a] = self._data[lo + o : hi + o]
        return out

    def trim(self, keep_from: int) -> None:
        """Forget samples before ``keep_from``."""
        drop = min(max(keep_from - self.start, 0), self._len)
        if drop <= 0:
            return
        self._off += drop
        self._len -= drop
        self.start += drop
        if self._off > self._len and self._off > (1 << 16):  # compact now and then
            self._data[: self._len] = self._data[self._off : self._off + self._len]
            self._off = 0
        # shrink after a burst of large blocks, not between blocks of a steady stream
        # (reallocating a block's worth every block costs more than the copy itself)
        if len(self._data) > 4 * max(self._off + self._len + self._last, 1 << 16):
            self._data = self._data[self._off : self._off + max(2 * self._len, 1 << 12)].copy()
            self._off = 0


class Channelizer:
    """Streaming channel selection: mix by ``-offset``, filter, resample fs -> bw."""

    def __init__(self, fs: float, bw: float, offset: float, half_chips: int = 12) -> None:
        frac = Fraction(fs / bw).limit_denominator(4096)
        self.num, self.den = frac.numerator, frac.denominator
        self.identity = self.num == 1 and self.den == 1
        self.nco = Nco(fs, offset) if offset else None
        self.bank, self.half = design_bank(fs / bw, half_chips, self.den)
        self.bank2 = np.repeat(self.bank, 2, axis=1)  # taps doubled: the kernel's layout
        # fs = 2 bw: a half-band filter, zero at every other tap but the centre
        row = self.bank[0]
        odd = np.delete(row[1::2], self.half // 2 - 1) if self.half % 2 == 0 else row
        self.halfband = (self.num, self.den) == (2, 1) and bool(
            np.all(np.abs(odd) < 1e-6 * np.abs(row).max())
        )
        self.even = np.ascontiguousarray(row[::2])
        self.buf = SampleBuffer()
        self.buf.start = -(self.half + 2)  # zeros before sample 0 fill the first spans
        self.buf.append(np.zeros(self.half + 2, dtype=np.complex64))
        self.next_out = 0  # index of the next output chip

    def process(
        self, x: np.ndarray, start: int, shared: SampleBuffer | None = None
    ) -> tuple[np.ndarray, int]:
        """Feed input samples starting at absolute ``start``; return (new chips, first index).

        ``shared``: a buffer that already holds the input up to ``start + len(x)``
        (the receiver's own copy); without a mixer the filter reads it in place
        instead of keeping a copy of its own (the caller keeps what it needs).
        """
        x = np.ascontiguousarray(x, dtype=np.complex64)
        if shared is not None and self.nco is None and not self.identity:
            return self._filter(shared, own=False)
        if start > self.buf.stop:  # device gap: zeros keep the clock
            gap = start - self.buf.stop
            if self.nco is not None:
                self.nco.skip(gap)
            self.buf.append(np.zeros(gap, dtype=np.complex64))
        if self.nco is not None:
            x = self.nco.mix(x)
        k0 = self.next_out
        if self.identity:
            self.next_out += len(x)
            return x, k0
        self.buf.append(x)
        return self._filter(self.buf, own=True)

    def keep_from(self) -> int:
        """The first input sample the next outputs need (for a shared buffer's owner)."""
        return (self.next_out * self.num) // self.den - self.half - 1

    def _filter(self, buf: SampleBuffer, own: bool) -> tuple[np.ndarray, int]:
        """All outputs whose filter span ``buf`` covers (trimmed after when ``own``)."""
        k0 = self.next_out
        lo = (k0 * self.num) // self.den - self.half - 1  # first input the next output needs
        if lo < buf.start and (buf.start > 0 or own):
            if not own:
                raise ValueError("channelizer: the shared buffer no longer holds the filter span")
            lo = buf.start
        # last output whose filter span fits: floor(k*num/den) + half < stop
        k1 = ((buf.stop - self.half) * self.den) // self.num
        while k1 >= k0 and (k1 * self.num) // self.den + self.half + 1 > buf.stop:
            k1 -= 1
        k1 += 1
        if k1 <= k0:
            return np.zeros(0, dtype=np.complex64), k0
        out = np.empty(k1 - k0, dtype=np.complex64)
        x0 = min(lo, buf.start)  # before sample 0 of a shared buffer: zeros
        x_all = buf.view(x0, buf.stop)
        half = self.half
        if self.halfband:
            center = float(self.bank[0, half - 1])
            lora_dsp.fir_halfband(x_all, x0, k0, k1, half, self.even, center, out)
        else:
            lora_dsp.fir_rational(x_all, x0, k0, k1, self.num, self.den, half, self.bank2, out)
        self.next_out = k1
        if own:
            self.buf.trim(self.keep_from())
        return out, k0


class FrameResampler:
    """Re-channelizes one frame from its source stream at its exact timing and offset.

    The source is the receiver's input (at most twice the bandwidth) or the
    channel's stream from the filter bank (twice the bandwidth); ``fs`` is
    its rate.
    """

    PHASES = 512

    def __init__(self, fs: float, bw: float, half_chips: int = 12) -> None:
        self.fs = fs
        self.ratio = fs / bw
        self.identity = abs(self.ratio - 1.0) < 1e-12
        self.bank, self.half = design_bank(self.ratio, half_chips, self.PHASES)
        self.bank2 = np.repeat(self.bank, 2, axis=1)  # taps doubled: the kernel's layout
        #: (gain, noise gain) of this filter per SF, measured once
        #: (:func:`sdrlink.protocols.lora.measure.filter_gains`)
        self.gains: dict[int, tuple[float, float]] = {}

    def span(self, p0: float, k0: int, k1: int) -> tuple[int, int]:
        """Input index range [a, b) needed for chips k0..k1 at positions p0 + k*ratio."""
        a = int(math.floor(p0 + k0 * self.ratio)) - self.half - 2
        b = int(math.floor(p0 + k1 * self.ratio)) + self.half + 2
        return a, b

    def chips(
        self, raw: SampleBuffer, p0: float, k0: int, k1: int, freq: float, stretch: float = 0.0
    ) -> np.ndarray:
        """Chips k0..k1-1 at input positions ``p0 + k*ratio`` after removing ``freq`` Hz.

        ``stretch`` scales the chip spacing from ``k0`` on (sample-clock offset).
        """
        a, b = self.span(p0, k0, k1)
        a -= int(abs(stretch) * (k1 - k0) * self.ratio) + 1
        b += int(abs(stretch) * (k1 - k0) * self.ratio) + 1
        raw_seg = np.ascontiguousarray(raw.view(a, b))
        seg = np.empty_like(raw_seg)
        lora_dsp.mix_tone(raw_seg, freq / self.fs, a, seg)
        start, step = p0 + k0 * self.ratio, self.ratio * (1.0 + stretch)
        if self.identity:
            pos = start + np.arange(k1 - k0, dtype=np.float64) * step
            idx = np.floor(pos + 0.5).astype(np.int64) - a
            return seg[idx]
        out = np.empty(k1 - k0, dtype=np.complex64)
        lora_dsp.fir_track(seg, start, step, a, self.half, self.bank2, out)
        return out
