"""Click limiting of FM soft symbols, for the soft-decision decoders behind them.

An FM discriminator near its threshold does not add Gaussian noise: the
carrier's phase now and then slips a turn, and the output shows a click, a
spike far larger than the deviation. Between bursts the discriminator sees
noise only, whose swing is again several times the signal's. A soft symbol
that lies beyond the signal's own level is therefore not more reliable than
one at that level, but a soft decoder (Viterbi, soft descramblers) would
trust it as much more: one click outweighs several good symbols, and at the
start of a burst the noise just before it drags the decoder's first
decisions, where the sync marker lies.

:class:`SoftLimiter` clips every symbol to ``k`` times the mean magnitude
of the symbols around it (``half`` either side, the symbol itself included).
The window is centred, so the first symbols of a burst are measured against
the burst, not against the noise before it; the output thus lags the input
by ``half`` symbols (all symbols come out at the end of the stream). Hard
decisions are unchanged. The level at a symbol depends only on its
neighbours, never on how the stream was cut into blocks. The clipping itself (a
sliding window sum) is a kernel of ``ext/fsk_dsp.pyx``.
"""

from __future__ import annotations

import numpy as np

from sdrlink._ext import fsk_dsp  # type: ignore[attr-defined]

# clip at the local mean magnitude (about the level of a symbol after a transition: the
# eye's inner rail); measured on real and simulated FSK, see the receiver's tests
LIMIT_K = 1.0
LIMIT_HALF = 32


class SoftLimiter:
    """Clips soft symbols to ``k`` times their local mean magnitude (centred window)."""

    def __init__(self, half: int = LIMIT_HALF, k: float = LIMIT_K) -> None:
        if half < 0 or not k > 0:
            raise ValueError("half must be >= 0 and k > 0")
        self.half = int(half)
        self.k = float(k)
        self.past = np.zeros(0, np.float64)  # |symbol| of up to `half` released symbols
        self.held: list[np.ndarray] = []  # symbols (and side arrays) waiting for look-ahead

    def process(self, soft: np.ndarray, final: bool, *side: np.ndarray) -> list[np.ndarray]:
        """Feed symbols (and arrays travelling with them); returns the limited symbols
        released now, then the raw symbols and the side arrays, delayed alike."""
        arrays = [np.asarray(soft, np.float32), *side]
        if self.held:
            arrays = [np.concatenate([h, a]) for h, a in zip(self.held, arrays, strict=True)]
        s = arrays[0]
        n = len(s) if final else max(0, len(s) - self.half)
        out = np.empty(n, np.float32)
        fsk_dsp.soft_limit(self.past, np.ascontiguousarray(s), self.half, self.k, out)
        # the magnitudes the next windows reach back to: the last `half` released
        keep = np.concatenate([self.past, np.abs(s[max(0, n - self.half) : n], dtype=np.float64)])
        self.past = keep[max(0, len(keep) - self.half) :]
        self.held = [a[n:] for a in arrays]
        return [out, *[a[:n] for a in arrays]]
