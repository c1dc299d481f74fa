"""The FSK receiver: front end -> symbol synchronisers -> deframers, streaming.

Real recordings defeat any single choice of DC tracking speed: a fast tracker
follows level changes after noise, a slow one rides over long unbalanced runs.
The receiver therefore runs a few synchronisers with different settings on the
same front-end output (they are cheap next to the filters) and merges their
frames. The merge is deterministic: candidates are ordered by the sample at
which they completed, and a frame that repeats one already emitted (same bytes,
overlapping in time) is dropped, so the output does not depend on block sizes.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import InputError
from sdrlink.frame import Frame
from sdrlink.framing import get_framing
from sdrlink.framing.base import RawFrame
from sdrlink.framing.stream import FrameMerger, SymbolWindow
from sdrlink.protocols.base import Receiver
from sdrlink.protocols.fsk import softlimit
from sdrlink.protocols.fsk.acquire import CarrierSearch
from sdrlink.protocols.fsk.demodulator import ClockRecovery, DcFollower, FrontEnd
from sdrlink.protocols.fsk.measure import FrameMeasure
from sdrlink.protocols.fsk.params import FskParams

# (DPLL phase gain, DC release time constant in symbols), chosen on real recordings
SYNC_SETTINGS = ((0.2, 200.0), (0.2, 30.0), (0.05, 200.0))


class _Chain:
    """One symbol synchroniser with its deframer and symbol window.

    The deframer gets the symbols click-limited (:mod:`.softlimit`); the raw ones
    travel beside them for the frame measurements. The limiter's delay (half its
    window) also means that when a frame is found, the samples after its end that
    the measurements' filters reach into have arrived.
    """

    def __init__(self, params: FskParams, sps: float, alpha: float, dc_symbols: float) -> None:
        self.dc_symbols = dc_symbols  # the DC follower (shared) whose output it takes
        self.clock = ClockRecovery(sps, alpha=alpha, dc_symbols=dc_symbols)
        self.limit = softlimit.SoftLimiter(softlimit.LIMIT_HALF, softlimit.LIMIT_K)
        framing = get_framing(params.framing)
        deframer = framing.make_deframer(dict(params.framing_options), params.invert)
        self.win = SymbolWindow(deframer, side=("pos", "dc", "raw"))

    def feed(self, y: np.ndarray, dc: np.ndarray, final: bool) -> list[RawFrame]:
        """Symbols from the front end's output less its DC (``y``, ``dc``: the
        :class:`DcFollower` of this chain's DC settings)."""
        s, p, d = self.clock.process_followed(y, dc)
        soft, raw, p, d = self.limit.process(s, final, p, d)
        return self.win.feed(soft, final, pos=p, dc=d, raw=raw)


def _search_fit(params: FskParams) -> dict[str, Any]:
    """How the carrier search fits this modulation, and how far off a burst may start
    before it is re-centred (a quarter of the symbol rate, at least 250 Hz: well
    within the carrier loop's reach, and above the estimates' typical error, so a
    burst near the tuned frequency is left alone).

    The two-tone fit (for unbalanced data, see :mod:`.acquire`) is for FSK whose tones
    stand apart (a modulation index of 0.7 or more), each tone's energy summed over
    an eighth of the symbol rate (wider sums would also take in an alternating
    preamble's lines between them); GMSK/GFSK of smaller index (one spectral lobe,
    whose peak a two-tone fit sits a tone off) and AFSK (an FM carrier) have none.
    """
    near = max(0.25 * params.baud, 250.0)
    # AFSK and sub-audio FSK are FM channels: their energy centroid is the carrier
    if params.modulation in ("afsk", "fsk_subaudio") or 2 * params.deviation < 0.7 * params.baud:
        return {"tone_hz": None, "near_hz": near}
    fit: dict[str, Any] = {"tone_hz": params.deviation, "lobe_hz": params.baud / 8, "near_hz": near}
    if params.deviation > params.baud:  # wide FSK: a fit on mostly one tone is a spacing off
        fit["mid_far_hz"] = max(1.5 * params.max_offset, 2 * params.deviation + params.baud)
    return fit


class FskReceiver(Receiver):
    """Decodes frames of any registered framing from FSK IQ or FM audio.

    Complex input is FM-discriminated (the carrier offset becomes a DC level
    that the symbol synchroniser tracks and reports in Hz); real input is taken
    as discriminator audio.
    """

    def __init__(self, params: FskParams, info: StreamInfo) -> None:
        if not info.sample_rate > 0:
            raise InputError("FSK receiver needs a positive sample rate")
        need = params.baud * 2 if params.modulation != "afsk" else 4 * max(params.afsk_tones)
        if info.sample_rate < need:
            raise InputError(
                f"sample rate {info.sample_rate:g} Hz too low for {params.modulation} at "
                f"{params.baud:g} Bd (need >= {need:g} Hz)"
            )
        self.params = params
        self.info = info
        self.front = FrontEnd(params, info.sample_rate, info.is_complex)
        # IQ: find the carrier blindly and re-centre it ahead of the front end
        self.search = (
            CarrierSearch(
                info.sample_rate,
                params.occupied_bw,
                params.carrier_search,
                params.max_offset,
                **_search_fit(params),
            )
            if info.is_complex and params.carrier_search > 0
            else None
        )
        self.sps = self.front.out_rate / params.baud
        self.chains = [_Chain(params, self.sps, a, d) for a, d in SYNC_SETTINGS]
        # one DC follower per DC setting, shared by the chains that use it
        self.followers = {d: DcFollower(self.sps, d) for d in sorted({d for _, d in SYNC_SETTINGS})}
        self.measure = FrameMeasure(params, self.front, info.is_complex)
        self.in_per_sym = info.sample_rate / params.baud
        window = self.chains[0].win.deframer.window
        self.merger = FrameMerger(4 * window * self.in_per_sym)
        # (samples consumed, absolute index of that sample) at every discontinuity,
        # so frame positions stay absolute across gaps and for streams not starting at 0
        self.consumed = 0
        self.breaks: list[tuple[int, int]] = []

    def process(self, block: SampleBlock) -> list[Frame]:
        x = np.asarray(block.samples)
        if x.ndim != 1:
            raise InputError("FSK receiver expects one-dimensional sample blocks")
        if self.info.is_complex != np.iscomplexobj(x):
            kind = "complex IQ" if self.info.is_complex else "real audio"
            raise InputError(f"FSK receiver was set up for {kind} but got {x.dtype} samples")
        if not self.breaks or block.start != self._absolute(self.consumed):
            self.breaks.append((self.consumed, int(block.start)))
        self.consumed += len(x)
        if self.search is None:
            return self._run(self.front.process(x), final=False)
        ys = [self.front.process(p) for p in self.search.process_pieces(x)]
        y = ys[0] if len(ys) == 1 else np.concatenate(ys) if ys else np.zeros(0, np.float32)
        return self._run(y, final=False)

    def flush(self) -> list[Frame]:
        y = np.zeros(0, np.float32)
        if self.search is not None:
            y = self.front.process(self.search.flush())
        return self._run(y, final=True)

    def _run(self, y: np.ndarray, final: bool) -> list[Frame]:
        # (stop, chain, start, raw frame, carrier removed ahead, first sample as a front-end
        # position, and the frame's symbol instants, soft symbols and DC levels)
        Segs = tuple[np.ndarray, np.ndarray, np.ndarray]
        cands: list[tuple[int, int, int, RawFrame, float, float, Segs]] = []
        half = 0.5 * self.sps  # symbols are taken mid-symbol
        followed = {d: f.process(y) for d, f in self.followers.items()}
        for k, chain in enumerate(self.chains):
            win = chain.win
            for r in chain.feed(*followed[chain.dc_symbols], final):
                pos = win.segment("pos", r)
                first = float(self.front.to_input_index(pos[0] - half))
                start = max(0, self._absolute(first))
                stop = self._absolute(float(self.front.to_input_index(pos[-1] + half)))
                carrier = self.search.offset_at(first) if self.search is not None else 0.0
                segs: Segs = (pos, win.segment("raw", r), win.segment("dc", r))
                cands.append((stop, k, start, r, carrier, float(pos[0] - half), segs))
            win.trim()
        cands.sort(key=lambda c: (c[0], c[1]))
        out: list[Frame] = []
        for stop, _, start, r, carrier, t0, segs in cands:
            if self.merger.accept(start, stop, r.payload):  # else: another chain's copy
                out.append(self._frame(r, start, stop, carrier, t0, *segs))
        # the histories behind the measurements need to reach back only as far as the windows
        oldest = [c.win.side["pos"][0] for c in self.chains if len(c.win.side["pos"])]
        if oldest:
            self.front.forget_before(min(oldest) - 4 * self.sps)
        if len(self.breaks) > 64:
            self.breaks = self.breaks[-64:]
        self.merger.forget_old()
        return out

    def _absolute(self, consumed_index: float) -> int:
        """Absolute sample index of the ``consumed_index``-th sample fed to the receiver."""
        idx = int(round(consumed_index))
        for at, start in reversed(self.breaks):
            if idx >= at:
                return start + idx - at
        return self.breaks[0][1] + idx - self.breaks[0][0] if self.breaks else idx

    def _frame(
        self,
        r: RawFrame,
        start: int,
        stop: int,
        carrier: float,
        t0: float,
        pos: np.ndarray,
        syms: np.ndarray,
        dcs: np.ndarray,
    ) -> Frame:
        offset, snr, measured = self.measure.measure(pos, syms, dcs, carrier, t0)
        fields: dict[str, Any] = {
            "framing": self.params.framing,
            "baud": self.params.baud,
            "modulation": self.params.modulation,
        }
        fields.update(r.fields)
        fields.update(measured)
        return Frame(
            protocol="fsk",
            sample_index=start,
            payload=r.payload,
            crc_ok=r.crc_ok,
            freq_offset_hz=offset,
            snr_db=snr,
            time=self.info.time_of(start),
            center_freq_hz=self.info.center_freq,
            fields=fields,
            sample_count=max(1, stop - start + int(round(self.in_per_sym))),
        )
