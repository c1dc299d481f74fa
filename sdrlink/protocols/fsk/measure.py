"""What an FSK frame reports besides its bytes: carrier offset, drift and SNR.

The definitions are those of :class:`~sdrlink.frame.Frame`; how the FSK
receiver arrives at them:

* ``snr_db`` (IQ input only): signal power over noise power in Carson's
  bandwidth (:attr:`FskParams.snr_bandwidth`: 2 * deviation + baud; AFSK
  2 * (deviation + highest tone)), from the second and fourth moments of
  the complex samples behind the channel filter over the frame's span
  (:func:`sdrlink.dsp.estimate.moments_snr`: FSK keeps a constant envelope;
  the filter's small departure from it, which depends on where the carrier
  lies in the filter, is simulated with the modulator), scaled from the
  filter's noise bandwidth to Carson's. From discriminator audio the RF SNR
  cannot be measured (the audio's noise depends on the receiver's IF and
  audio filters and on the FM threshold), so ``snr_db`` is NaN there.
* ``fields["ebn0_db"]`` (IQ): ``snr_db`` + 10 log10(bandwidth / baud), one bit per symbol.
* ``fields["symbol_snr_db"]``: the power of the data part of per-symbol values
  over the variance of what remains, after a least-squares fit to the
  decided symbols with DC, drift and two neighbours' intersymbol
  interference either side (:func:`sdrlink.dsp.estimate.fit_levels`). The
  values are the matched-filter output at the symbol instants (audio, and
  AFSK from IQ), or for FSK/GFSK/GMSK from IQ the frequency of the
  channel-filtered IQ averaged over each symbol (the carrier fit's values).
  It is the one SNR that discriminator audio allows (an audio-domain
  figure, not the RF SNR: it follows the RF SNR only as far as the FM
  discriminator passes it on).
* Sub-audio FSK: from IQ, ``freq_offset_hz`` and its drift are the DC of the
  discriminator's (low-passed) output in the soft-symbol fit, ``snr_db`` as
  above in its FM channel; from audio there is no offset (NaN: the data's
  level in the audio is not known).
* ``freq_offset_hz``: the carrier relative to the tuned frequency at the
  frame's first sample. From IQ: the carrier search's re-centring plus the
  frequency the channel-filtered samples hold over the frame, per symbol,
  fitted to the decided symbols with a drift (extrapolated to the first
  sample). From FSK/GFSK/GMSK audio: the audio's DC in the soft-symbol fit,
  scaled so that the fitted long-run level is the nominal deviation (this
  assumes DC-coupled audio of the usual polarity, higher RF frequency =
  positive). AFSK from IQ: the RF carrier (the line fitted to the first
  discriminator's output); AFSK from audio: the offset of the audio tones
  from their nominal frequencies. ``fields["offset_of"]`` says which:
  "carrier" or "audio tones"; AFSK from IQ also gives ``fields["tone_offset_hz"]``.
* ``fields["drift_hz_s"]``: the fitted drift of what ``freq_offset_hz`` measures,
  given only when its standard error is at most 50 Hz/s (frames of a few
  tens of milliseconds are too short to tell a LEO drift), else None;
  ``fields["drift_uncertainty_hz_s"]``: the half-width of its 95 % interval
  (1.96 standard errors; None where the fit had none).
* ``fields["deviation_hz"]`` (FSK/GFSK/GMSK from IQ): the deviation the fit
  finds (the frequency a long run of one symbol reaches).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from sdrlink._ext import estimate_dsp, fsk_dsp  # type: ignore[attr-defined]
from sdrlink.dsp.estimate import db, ebn0_db, fit_levels, moments_snr, noise_bandwidth
from sdrlink.protocols.fsk.demodulator import FrontEnd, _reversed_padded
from sdrlink.protocols.fsk.params import FskParams

# a drift is reported only when its standard error is at most this (Hz/s)
MAX_DRIFT_ERR = 50.0


def _line(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """(slope, intercept) of the least-squares line through (x, y)."""
    xm, ym = float(x.mean()), float(y.mean())
    dx = x - xm
    slope = float(dx @ (y - ym)) / float(dx @ dx)
    return slope, ym - slope * xm


class FrameMeasure:
    """Offset, drift and SNR of a found frame from the front end's histories."""

    def __init__(self, params: FskParams, front: FrontEnd, is_complex: bool) -> None:
        self.params = params
        self.front = front
        self.is_complex = is_complex
        self.afsk = params.modulation == "afsk"
        self.subaudio = params.modulation == "fsk_subaudio"
        self.bandwidth = params.snr_bandwidth
        self.half = 0.5 * front.out_rate / params.baud  # half a symbol, front-end samples
        # envelope kurtosis behind the channel filter, simulated per carrier position
        self._kurtosis: dict[int, float] = {}
        self._rtaps2: np.ndarray | None = None

    def measure(
        self, pos: np.ndarray, syms: np.ndarray, dcs: np.ndarray, carrier: float, t_start: float
    ) -> tuple[float, float, dict[str, Any]]:
        """(freq_offset_hz, snr_db, fields) of a frame.

        ``pos`` are the symbol instants (front-end output positions), ``syms``
        the soft symbols and ``dcs`` the DC levels there, ``carrier`` the
        frequency removed ahead of the front end, ``t_start`` the frame's
        first sample as a front-end output position.
        """
        pos = np.asarray(pos, np.float64)
        t = (pos - t_start) / self.front.out_rate
        values = np.asarray(syms, np.float64) + dcs  # the frequency signal at the instants
        fields: dict[str, Any] = {}
        offset, drift, drift_err = float("nan"), float("nan"), float("inf")
        # FSK from IQ: the per-symbol frequency of the IQ itself serves below instead
        direct = self.is_complex and not (self.afsk or self.subaudio)
        fit = None if direct else fit_levels(values, syms, t)
        if fit is not None:
            fields["symbol_snr_db"] = round(db(fit.snr), 2)
            if self.subaudio:
                if self.is_complex:  # the discriminator's output, in Hz
                    offset, drift, drift_err = carrier + fit.dc, fit.drift, fit.drift_err
            elif self.afsk:
                offset, drift, drift_err = fit.dc, fit.drift, fit.drift_err  # audio tones (Hz)
                if self.is_complex:
                    fields["tone_offset_hz"] = round(fit.dc, 1)
            elif not self.is_complex and fit.level > 0:  # audio: scale by the nominal deviation
                scale = self.params.deviation / fit.level
                offset, drift, drift_err = fit.dc * scale, fit.drift * scale, fit.drift_err * scale
        snr = float("nan")
        if self.is_complex:
            # where the carrier is within the channel filter, roughly: the mean of the
            # frequency signal less that of the data at the nominal deviation
            coarse = float(values.mean())
            coarse -= self.params.deviation * float(np.mean(np.where(syms > 0, 1.0, -1.0)))
            wide = None if self.subaudio else self._carrier(pos, syms, t_start, coarse)
            if wide is not None:
                offset, drift, drift_err = carrier + wide[0], wide[1], wide[2]
                if wide[3] is not None:
                    fields["deviation_hz"] = round(wide[3], 1)
                if wide[4] is not None:
                    fields["symbol_snr_db"] = round(db(wide[4]), 2)
            a = float(self.front.to_probe_index(t_start))
            b = float(self.front.to_probe_index(pos[-1] + self.half))
            inside = offset - carrier if math.isfinite(offset) else 0.0
            snr = self._snr(a, b, inside)
            fields["snr_bandwidth_hz"] = self.bandwidth
            if math.isfinite(snr):
                fields["ebn0_db"] = round(ebn0_db(snr, self.bandwidth, self.params.baud), 2)
        fields["offset_of"] = "audio tones" if self.afsk and not self.is_complex else "carrier"
        # as for every modem: the 95 % half-width (normal: many symbols), and the drift
        # None where short frames leave too little time to tell one
        fields["drift_hz_s"] = round(drift, 1) if drift_err <= MAX_DRIFT_ERR else None
        width = 1.96 * drift_err
        fields["drift_uncertainty_hz_s"] = round(width, 1) if math.isfinite(width) else None
        return offset, snr, fields

    def _carrier(
        self, pos: np.ndarray, syms: np.ndarray, t_start: float, coarse: float
    ) -> tuple[float, float, float, float | None, float | None] | None:
        """(offset at the frame's start, drift, its standard error, deviation, SNR of
        the per-symbol frequencies) from the channel-filtered IQ.

        The samples behind the channel filter are mixed down by the ``coarse``
        estimate and filtered again with the narrow filter, now centred on the
        carrier (the receiver's own narrow filter follows the carrier with a
        loop that unbalanced preambles pull, which would bias the result);
        the frequency averaged over each symbol (their phase advance) is then
        fitted to the decided symbols. AFSK: the first discriminator's output
        (the audio) fitted to a line, the tones averaging out.
        """
        front = self.front
        rate = front.probe_rate
        a = float(front.to_probe_index(t_start)) - 1
        b = float(front.to_probe_index(pos[-1] + self.half)) + 1
        if self.afsk:
            assert front.rf_audio is not None
            v = front.rf_audio.get(a, b).astype(np.float64)
            if len(v) < 16:
                return None
            # two moving averages, one cycle of either tone long, null the tones (and
            # their harmonics); means over one symbol each then leave the carrier
            centre = 0.0  # where in v the first smoothed value lies
            for tone in self.params.afsk_tones:
                n = max(1, int(round(rate / tone)))
                c = np.cumsum(v)
                v = np.concatenate([[c[n - 1]], c[n:] - c[:-n]]) / n
                centre += (n - 1) / 2
            m = max(1, int(round(rate / self.params.baud)))
            nk = len(v) // m
            if nk < 8:
                return None
            means = v[: nk * m].reshape(nk, m).mean(axis=1)
            # chunk i's mean lies at sample centre + i*m + (m-1)/2 of the audio, i.e. at
            # probe index floor(a) + that - 1/2 (a discriminator output measures the step
            # from the sample before); the frame starts at probe index a + 1
            at = centre + np.arange(nk) * m + (m - 1) / 2 - 0.5
            tt = (at + math.floor(a) - (a + 1)) / rate
            (slope, at_start), cov = np.polyfit(tt, means, 1, cov=True)
            return float(at_start), float(slope), math.sqrt(max(0.0, cov[0, 0])), None, None
        assert front.probe is not None and front.narrow_taps is not None
        taps = front.narrow_taps
        if self._rtaps2 is None:  # as the complex FIR kernels take them
            self._rtaps2 = np.ascontiguousarray(np.repeat(_reversed_padded(taps, 4), 2))
        margin = len(self._rtaps2) // 2 + 1
        # symbol edges on a uniform grid fitted to the instants: the transmitter's
        # clock is steady, the clock recovery's jitter would leak into the values (over
        # a long frame the grid's ends may lie a sample or two outside the instants')
        k = np.arange(len(pos) + 1, dtype=np.float64)
        step, first = _line(k[:-1], pos)
        grid = np.asarray(front.to_probe_index(first + step * (k - 0.5)), np.float64)
        lo = math.floor(min(a, grid[0])) - margin
        z = front.probe.get(lo, max(b, grid[-1]) + margin + 1)
        if len(z) < 16 + 2 * margin or front.probe.base > lo:
            return None
        edges = grid - lo
        if edges[0] < margin or edges[-1] + margin >= len(z):
            return None
        # the frequency over each symbol of the samples centred on the coarse carrier
        # and filtered again with the narrow filter (Cython, one pass)
        freq = np.empty(len(pos))
        fsk_dsp.symbol_freqs(z, self._rtaps2, len(taps), coarse / rate, edges, freq)
        freq *= rate
        t = (pos - t_start) / front.out_rate
        fit = fit_levels(freq, syms, t, robust=True)
        if fit is None:
            return None
        return fit.dc, fit.drift, fit.drift_err, fit.level, fit.snr

    def _snr(self, a: float, b: float, inside: float) -> float:
        """SNR (dB in :attr:`bandwidth`) of the probe's samples ``[a, b)``; the carrier
        lies ``inside`` Hz off the channel filter's centre."""
        assert self.front.probe is not None
        z = self.front.probe.get(a, b)
        if len(z) < 16:
            return float("nan")
        m2, m4 = estimate_dsp.power_moments(z)
        ratio = moments_snr(m2, m4, self._kurtosis_at(inside))
        enbw = noise_bandwidth(self.front.channel_taps, self.front.in_rate)
        return db(ratio * enbw / self.bandwidth)

    def _kurtosis_at(self, inside: float) -> float:
        step = 0.01 * self.bandwidth  # the envelope changes little within 1 % of the band
        key = int(round(inside / step))
        if key not in self._kurtosis:
            if len(self._kurtosis) > 64:
                self._kurtosis.clear()
            self._kurtosis[key] = self.front.channel_kurtosis(offset=key * step)
        return self._kurtosis[key]
