"""Phase-continuous NCO that removes a carrier offset and its drift.

The compiled kernel lives in ``ext/nco.pyx``; :func:`mix_reference` is the plain
NumPy definition its tests compare against.
"""

from __future__ import annotations

import numpy as np

from sdrlink._ext import nco as _nco


def mix_reference(
    x: np.ndarray, phase0: float, f: float, r: float, k0: int, sign: int = -1
) -> np.ndarray:
    """NumPy reference: ``x * exp(sign*2j*pi*(phase0 + f*k + r*k**2/2))``, k = k0 + arange(n).

    ``f`` is in cycles per sample and ``r`` in cycles per sample squared.
    """
    k = k0 + np.arange(len(x), dtype=np.float64)
    cyc = phase0 + f * k + 0.5 * r * k * k
    cyc -= np.floor(cyc)
    return (x * np.exp(sign * 2j * np.pi * cyc)).astype(np.complex64)


class Nco:
    """Mixer whose frequency and frequency rate can change without a phase jump.

    ``mix(x)`` multiplies the next ``len(x)`` samples by
    ``exp(-2j*pi*(f*t + rate*t**2/2))`` (``sign=-1``, removing an offset of
    ``freq`` Hz drifting at ``rate`` Hz/s); ``sign=+1`` applies the offset
    instead (used by the simulator). ``retune`` keeps the phase continuous.
    The phase of each sample is evaluated in closed form from the segment
    origin, so the output does not depend on the block sizes used.
    """

    def __init__(
        self,
        sample_rate: float,
        freq: float = 0.0,
        rate: float = 0.0,
        phase: float = 0.0,
        sign: int = -1,
    ) -> None:
        if not sample_rate > 0:
            raise ValueError("sample_rate must be positive")
        self.sample_rate = float(sample_rate)
        self.sign = -1 if sign < 0 else 1
        self.position = 0  # samples consumed since creation
        self._origin = 0  # position of the current segment's origin
        self._phase0 = phase % 1.0  # cycles at the origin
        self._set(freq, rate)

    def _set(self, freq: float, rate: float) -> None:
        self.freq = float(freq)
        self.rate = float(rate)
        self._f = self.freq / self.sample_rate
        self._r = self.rate / self.sample_rate**2

    @property
    def phase(self) -> float:
        """Phase (cycles, in [0, 1)) that the next sample will get."""
        return float(_nco.phase_at(self._phase0, self._f, self._r, self.position - self._origin))

    @property
    def current_freq(self) -> float:
        """Instantaneous frequency (Hz) at the next sample."""
        return self.freq + self.rate * (self.position - self._origin) / self.sample_rate

    def retune(self, freq: float, rate: float = 0.0) -> None:
        """From the next sample on use ``freq`` (Hz) and ``rate`` (Hz/s)."""
        self._phase0 = self.phase
        self._origin = self.position
        self._set(freq, rate)

    def mix(self, x: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """Mix the next ``len(x)`` complex samples; returns complex64."""
        x = np.ascontiguousarray(x, dtype=np.complex64)
        if out is None:
            out = np.empty_like(x)
        _nco.mix_linear(
            x, out, self._phase0, self._f, self._r, self.position - self._origin, self.sign
        )
        self.position += len(x)
        return out

    def skip(self, n: int) -> None:
        """Advance by ``n`` samples without output (e.g. over a device gap)."""
        self.position += int(n)


def tone(n: int, freq: float, sample_rate: float, rate: float = 0.0) -> np.ndarray:
    """A unit complex tone ``exp(2j*pi*(freq*t + rate*t**2/2))`` of ``n`` samples."""
    nco = Nco(sample_rate, freq, rate, sign=+1)
    return nco.mix(np.ones(n, dtype=np.complex64))


__all__ = ["Nco", "mix_reference", "tone"]
