"""Polyphase filter bank: the whole capture as ~1 kHz channels at ~2 ksps each.

An LR-FHSS hop occupies about 600 Hz, anywhere in the capture. The bank
splits the input into ``n_chan`` channels ``spacing = fs / n_chan`` (about
1 kHz) apart, each decimated by ``n_chan / 2`` (2x oversampled), with a
prototype filter flat to ``spacing / 2 + 330 Hz``: every hop, wherever it
lies, is whole and undistorted in its nearest channel. Output sample ``m`` of
channel ``c`` is the input mixed down by ``f_c = (c - n_chan/2) * spacing``
(mixing phase referred to absolute sample 0) and low-passed, at input time
``m * decim - delay``: the bank depends only on absolute indices, never on
how the stream was blocked.
"""

from __future__ import annotations

import numpy as np
import scipy.fft
from scipy import signal

from sdrlink._ext import lrfhss_dsp

TARGET_SPACING = 1000.0
SIGNAL_HALF_WIDTH = 330.0  # half the band an LR-FHSS hop needs (GMSK BT 1, 488 bit/s, drift)
STOP_DB = 55.0


class FilterBank:
    """Streaming 2x-oversampled polyphase channelizer (see the module docstring)."""

    def __init__(self, sample_rate: float) -> None:
        fs = float(sample_rate)
        n = max(4, 2 * int(round(fs / TARGET_SPACING / 2)))
        self.fs = fs
        self.n_chan = n
        self.decim = n // 2
        self.spacing = fs / n
        self.rate = fs / self.decim
        f_pass = self.spacing / 2 + SIGNAL_HALF_WIDTH
        f_stop = self.rate - f_pass
        width = (f_stop - f_pass) / (fs / 2)
        n_taps, beta = signal.kaiserord(STOP_DB, width)
        n_phase = max(2, -(-n_taps // n))
        h = signal.firwin(n_phase * n, (f_pass + f_stop) / 2, window=("kaiser", beta), fs=fs)
        self.taps = (h / h.sum()).astype(np.float32)
        # branches reversed for the kernel, the inverse DFT's 1/n folded in
        self._hrev = (self.taps * n).reshape(-1, n)[:, ::-1].reshape(-1).astype(np.float32).copy()
        self.delay = (len(self.taps) - 1) / 2  # input samples
        self.noise_gain = float(np.sum(self.taps.astype(np.float64) ** 2))  # white-noise power
        self.freqs = (np.arange(n) - n // 2) * self.spacing
        self._hist = np.zeros(0, dtype=np.complex64)
        self._hist_start = 0  # absolute index of _hist[0]
        self.next_frame = 0  # first frame not yet produced

    def time_of(self, frame: float) -> float:
        """Input sample position (absolute, fractional) that output frame ``frame`` stands for."""
        return frame * self.decim - self.delay

    def channel_of(self, freq_hz: float) -> int:
        """Index of the channel nearest ``freq_hz`` (clipped to the bank)."""
        c = int(round(freq_hz / self.spacing)) + self.n_chan // 2
        return min(max(c, 0), self.n_chan - 1)

    def process(self, x: np.ndarray, start: int) -> tuple[np.ndarray, int]:
        """Feed samples ``x`` starting at absolute index ``start`` (consecutive).

        Returns the new output frames, shape (frames, n_chan) with channels
        from lowest to highest frequency, and the index of the first one.
        """
        if len(self._hist) == 0 and self.next_frame == 0:
            self._hist_start = start
            self.next_frame = -(-start // self.decim)
        buf = np.concatenate([self._hist, np.asarray(x, dtype=np.complex64)])
        stop = self._hist_start + len(buf)
        m0 = self.next_frame
        m1 = (stop - 1) // self.decim + 1
        out = np.zeros((max(m1 - m0, 0), self.n_chan), dtype=np.complex64)
        if m1 > m0:
            lrfhss_dsp.pfb_rows(
                buf, self._hist_start, m0, m1, self.n_chan, self.decim, self._hrev, out
            )
            out = scipy.fft.ifft(out, axis=1, overwrite_x=True, workers=1)
            self.next_frame = m1
        keep_from = max(self.next_frame * self.decim - len(self.taps) + 1, self._hist_start)
        self._hist = buf[keep_from - self._hist_start :].copy()
        self._hist_start = keep_from
        return out.astype(np.complex64, copy=False), m0


class FrameBuffer:
    """Rows (channelized frames, power bins) addressed by absolute index; grows, trims
    from the front.

    Trimming only moves a read offset; the data are compacted when the dead
    part outgrows the live one, so each row is copied a bounded number of times.
    """

    def __init__(self, n_chan: int, dtype: type = np.complex64) -> None:
        self.dtype = dtype
        self._data: np.ndarray = np.zeros((256, n_chan), dtype=dtype)
        self.start = 0  # absolute index of the first live frame
        self._off = 0  # row of the first live frame
        self._len = 0

    @property
    def stop(self) -> int:
        return self.start + self._len

    def append(self, frames: np.ndarray, first: int) -> None:
        if self._len == 0:
            self.start = first
            self._off = 0
        n = len(frames)
        if self._off + self._len + n > len(self._data):
            live = self._data[self._off : self._off + self._len]
            cap = max(len(self._data), 2 * (self._len + n))
            if cap > len(self._data):
                new: np.ndarray = np.zeros((cap, self._data.shape[1]), self.dtype)
                new[: self._len] = live
                self._data = new
            else:
                self._data[: self._len] = live.copy()
            self._off = 0
        self._data[self._off + self._len : self._off + self._len + n] = frames
        self._len += n

    def view(self, a: int, b: int, c0: int = 0, c1: int | None = None) -> np.ndarray:
        """Frames [a, b) of channels [c0, c1); frames outside the buffer are zero."""
        c1 = self._data.shape[1] if c1 is None else c1
        base = self._off - self.start
        if a >= self.start and b <= self.stop:
            return self._data[a + base : b + base, c0:c1]
        out: np.ndarray = np.zeros((max(b - a, 0), c1 - c0), dtype=self.dtype)
        lo, hi = max(a, self.start), min(b, self.stop)
        if hi > lo:
            out[lo - a : hi - a] = self._data[lo + base : hi + base, c0:c1]
        return out

    def trim(self, keep_from: int) -> None:
        """Forget frames before ``keep_from``."""
        drop = min(max(keep_from - self.start, 0), self._len)
        if drop > 0:
            self._off += drop
            self._len -= drop
            self.start += drop
