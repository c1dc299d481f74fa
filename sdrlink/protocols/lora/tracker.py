"""Symbol-by-symbol demodulation of a synchronised LoRa frame (offset, drift, timing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import scipy.fft

from sdrlink.protocols.lora.demod import ref_chirps

if TYPE_CHECKING:
    from sdrlink.protocols.lora.sync import Detector

ALPHA, BETA = 0.25, 0.02  # offset loop gains (offset, drift), per symbol
GAMMA, GAMMA2 = 0.3, 0.02  # timing loop gains (timing, clock drift), per symbol
TIMING_SIGN = 1.0  # orientation of the fold phase step relative to the timing error
MAX_DIFF = 0.1  # bins: re-dechirp a chunk when the loop moved further than this


class Tracker:
    """Demodulates data symbols in order, following offset, drift and timing.

    A second-order loop follows the fractional peak position symbol by symbol
    (offset and drift); with oversampled input a timing loop also follows
    the sample-clock offset, measured from the phase step that a fractional
    timing error leaves at each symbol's frequency fold. Symbols are
    re-channelized in chunks, again whenever the timing has moved by more
    than 0.05 chip.
    """

    CHUNK = 32

    def __init__(
        self,
        det: Detector,
        origin: float,
        freq: float,
        data0: int,
        a0: float,
        rho: float,
        first_reduced: bool,
    ) -> None:
        self.det = det
        self.origin, self.freq, self.data0 = origin, freq, data0
        self.delta = a0 + rho * (det.pt + 3.75)  # centre of data symbol 0
        self.rho = rho
        self.tau = self.tau_rate = 0.0
        self.first_reduced = first_reduced
        self.track_timing = not det.rs.identity
        self.rows: list[np.ndarray] = []
        n = det.n
        self.ramp = np.arange(n) / n
        self.dn = ref_chirps(det.sf)[0]

    @property
    def mags(self) -> np.ndarray:
        return np.array(self.rows) if self.rows else np.zeros((0, self.det.n))

    def run(self, n_sym: int) -> None:
        """Demodulate up to data symbol ``n_sym`` (exclusive).

        Each chunk is dechirped in one batch at the offsets the loop predicts
        without corrections; the loop then runs symbol by symbol on the
        measured errors (corrected for the difference between the predicted
        and the actual offset), and the chunk is cut short for a fresh batch
        whenever the two differ by more than MAX_DIFF or the timing moved by
        more than 0.05 chip.
        """
        det = self.det
        n = det.n
        j = len(self.rows)
        while j < n_sym:
            j_end = min(n_sym, j + self.CHUNK)
            tau_used = self.tau
            z = det._chips(
                self.origin + tau_used, self.freq, self.data0 + j * n, self.data0 + j_end * n
            ).reshape(j_end - j, n)
            used = self._batch(j, z * self.dn[None, :])
            j += used

    def _batch(self, j0: int, zd: np.ndarray) -> int:
        """Symbols ``j0 ..`` from dechirped rows ``zd``; returns how many were used."""
        det = self.det
        n, k_n = det.n, zd.shape[0]
        step = self.rho
        pred = self.delta + step * np.arange(k_n)
        r = zd * np.exp(-2j * np.pi * pred[:, None] * self.ramp[None, :]).astype(np.complex64)
        spec = np.abs(scipy.fft.fft(r, axis=1))
        rows = np.arange(k_n)
        k = np.argmax(spec, axis=1)
        pk = spec[rows, k]
        reliable = pk**2 > 6.0 * np.mean(spec**2, axis=1)
        a, c = spec[rows, (k - 1) % n], spec[rows, (k + 1) % n]
        den = a - 2 * pk + c
        frac = np.clip(
            np.where(den < 0, 0.5 * (a - c) / np.where(den < 0, den, -1.0), 0.0), -0.5, 0.5
        )
        jj = j0 + rows
        reduced = ((jj < 8) & self.first_reduced) | ((jj >= 8) & det.p.ldro_on)
        nominal = np.where(reduced, 4 * np.round((k - 1) / 4) + 1, k)
        e_meas = np.where(
            reduced, np.clip((k + frac - nominal + n / 2) % n - n / 2, -1.5, 1.5), frac
        )
        jump = np.full(k_n, np.nan)
        if self.track_timing:
            fold = (n - k) % n
            ok = reliable & (fold >= n // 8) & (fold <= n - n // 8)
            if ok.any():
                # remove the symbol's own (fractional) frequency, or it would leak
                # into the phase step as a timing error
                rr = r * np.exp(-2j * np.pi * (k + frac)[:, None] * self.ramp[None, :])
                cs = np.cumsum(rr, axis=1)
                head = cs[rows, np.maximum(fold - 1, 0)]
                tail = cs[:, -1] - head
                jump = np.where(
                    ok, TIMING_SIGN * np.angle(tail * np.conj(head)) / (2 * np.pi), np.nan
                )
        tau_used = self.tau
        for i in range(k_n):
            lag = self.tau - tau_used
            diff = (self.delta - lag) - pred[i]  # actual minus predicted offset
            if i > 0 and (abs(diff) > MAX_DIFF or abs(lag) > 0.05):
                return i
            self.rows.append(spec[i])
            if reliable[i]:
                e = float(e_meas[i]) - diff
                self.delta += ALPHA * e
                self.rho += BETA * e
                if not np.isnan(jump[i]):
                    te = float(jump[i]) - lag
                    self.tau += GAMMA * te
                    self.tau_rate += GAMMA2 * te
                    self.delta += GAMMA * te
            if self.track_timing:
                self.tau += self.tau_rate  # following the clock keeps the bins in place
            self.delta += self.rho
        return k_n
