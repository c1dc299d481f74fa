"""Symbol-by-symbol demodulation of a synchronised LoRa frame (offset, drift, timing)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from sdrlink._ext import estimate_dsp, lora_dsp
from sdrlink.dsp.fft import fft_rows
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
        self.delta = a0 + rho * (det.pt + det.extra + 3.75)  # centre of data symbol 0
        self.rho = rho
        self.tau = self.tau_rate = 0.0
        self.first_reduced = first_reduced
        self.track_timing = not det.rs.identity
        self._blocks: list[np.ndarray] = []  # magnitude rows of the symbols read, by batch
        self.count = 0  # symbols read
        self._points: list[np.ndarray] = []  # see :attr:`points`, by batch
        self.dn = ref_chirps(det.sf)[0]

    @property
    def points(self) -> np.ndarray:
        """(data symbol index, carrier position in bins, timing in chips) of the symbols
        read reliably, one row each, in order."""
        if len(self._points) > 1:
            self._points = [np.concatenate(self._points)]
        return self._points[0] if self._points else np.zeros((0, 3))

    @property
    def mags(self) -> np.ndarray:
        """Magnitude spectra (symbols, N) of the symbols read, offset removed."""
        if len(self._blocks) > 1:
            self._blocks = [np.concatenate(self._blocks)]
        return self._blocks[0] if self._blocks else np.zeros((0, self.det.n), np.float32)

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
        j = self.count
        while j < n_sym:
            j_end = min(n_sym, j + self.CHUNK)
            tau_used = self.tau
            z = det._chips(
                self.origin + tau_used, self.freq, self.data0 + j * n, self.data0 + j_end * n
            ).reshape(j_end - j, n)
            used = self._batch(j, np.ascontiguousarray(z))
            j += used

    def _batch(self, j0: int, z: np.ndarray) -> int:
        """Symbols ``j0 ..`` from rows ``z`` (chips, not dechirped); returns how many were used."""
        det = self.det
        n, k_n = det.n, z.shape[0]
        step = self.rho
        pred = self.delta + step * np.arange(k_n)
        r = np.empty_like(z)
        lora_dsp.dechirp_shift(z, self.dn, pred, r)  # dechirp, predicted offset to bin 0
        full = fft_rows(r)
        # magnitudes, peak bins, their fractions from the magnitudes (parabola) and from
        # the complex spectrum (Jacobsen: unbiased, for the drift fit; the magnitudes'
        # parabola reads 0.1 bin as 0.006), and which peaks stand clear of the noise
        spec = np.empty((k_n, n), dtype=np.float32)
        k = np.empty(k_n, dtype=np.int64)
        frac, exact = np.empty(k_n), np.empty(k_n)
        reliable = np.empty(k_n, dtype=np.uint8)
        lora_dsp.peak_stats(full, spec, k, frac, exact, reliable, 6.0)
        # each symbol's error (from the nearest value bin for reduced-rate symbols), and
        # where the timing loop can read a phase step
        e_meas, e_fit = np.empty(k_n), np.empty(k_n)
        fold = np.empty(k_n, dtype=np.int64)
        ok = np.empty(k_n, dtype=np.uint8)
        reduced = (self.first_reduced, det.p.ldro_on)
        lora_dsp.symbol_errors(k, frac, exact, reliable, n, j0, *reduced, e_meas, e_fit, fold, ok)
        jump = np.full(k_n, np.nan)
        if self.track_timing and ok.any():
            # the symbol's own (fractional) frequency is removed first, or it
            # would leak into the phase step as a timing error
            step_cyc = np.empty(k_n)
            lora_dsp.fold_phase_jump(r, k + frac, fold, step_cyc)
            jump = np.where(ok, TIMING_SIGN * step_cyc, np.nan)
        # the loop itself, symbol by symbol (one kernel call)
        state = np.array([self.delta, self.rho, self.tau, self.tau_rate])
        used = estimate_dsp.track_symbols(
            pred,
            reliable,
            e_meas,
            jump,
            state,
            self.track_timing,
            ALPHA,
            BETA,
            GAMMA,
            GAMMA2,
            MAX_DIFF,
            0.05,
        )
        tau_used = self.tau
        self.delta, self.rho, self.tau, self.tau_rate = state.tolist()
        self._blocks.append(spec[:used])
        self.count += used
        # the peaks read reliably, re-taken at the followed timing: the carrier (with
        # what the timing loop has not yet followed of a sample-clock drift)
        read = np.flatnonzero(reliable[:used])
        pts = np.empty((len(read), 3))
        pts[:, 0] = j0 + read
        pts[:, 1] = pred[read] + e_fit[read]
        pts[:, 2] = tau_used
        self._points.append(pts)
        return used
