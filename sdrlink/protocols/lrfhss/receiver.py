"""Streaming blind LR-FHSS receiver.

Stages, all keyed on absolute sample indices:

1. :class:`~.channelizer.FilterBank`: the capture as ~1 kHz channels.
2. :class:`~.detect.EnergyDetector`: where a 233 ms header hop may be.
3. :func:`~.demod.find_sync` at each candidate, then :func:`~.header.read_block`:
   a header copy with its carrier, drift and soft bits. A copy that fails its
   CRC alone is kept a while: when its sync word is clear, the places a whole
   number of header blocks away are searched with a lower threshold (a
   "guided look"), and copies found a whole number of blocks apart are
   decoded together (iteratively, their bits flipped by the difference of
   their copy indices, one drift for all).
4. :class:`~.packet.Job` per packet: the columns of every hop copied as they
   arrive, the payload decoded when the last hop is in. A packet found again
   from another copy is reported once.

Every step is an event with the stream time by which its inputs are in;
events run in that order, so the frames and their values do not depend on
how the stream was cut into blocks.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import ConfigError, InputError
from sdrlink.frame import Frame
from sdrlink.protocols.base import Receiver
from sdrlink.protocols.lrfhss import demod
from sdrlink.protocols.lrfhss.channelizer import FilterBank, FrameBuffer
from sdrlink.protocols.lrfhss.detect import (
    BIN_FRAMES,
    FLOOR_EVERY,
    SUB_PER_CHAN,
    EnergyDetector,
)
from sdrlink.protocols.lrfhss.header import HeaderObs, decode_copies, read_block
from sdrlink.protocols.lrfhss.hopping import BIT_RATE, ocw_hz
from sdrlink.protocols.lrfhss.packet import HDR_T, Decoded, Job
from sdrlink.protocols.lrfhss.params import (
    CR_TEXT,
    LORAWAN_SYNC_WORD,
    data_rate_of,
    normalize_options,
)

T_BIT = 1.0 / BIT_RATE
ENERGY_SIGMAS = 4.5  # energy detection threshold (noise standard deviations) at 2000 sub-bands
SYNC_MIN_RHO = 0.08  # normalised sync correlation worth reading a header for
SEARCH_S = 0.05  # +- block-start uncertainty of an energy candidate
SEARCH_LONG_S = 0.13  # the same inside a longer burst (any header sync within half a block)
SEARCH_HZ = 250.0  # +- carrier uncertainty of an energy candidate
KEEP_UNDECODED_S = 4 * HDR_T  # undecoded copies kept for combining
REPEAT_S = 30.0  # emitted packets remembered, so that one found twice is reported once
GUIDED_SIGMAS = 2.5  # energy threshold where another copy must be
GUIDED_LIMIT = 6  # places tried per guided look
GUIDED_RHO = 0.06  # sync correlation accepted in a guided look
GUIDED_TRIGGER = 0.13  # sync correlation of an undecoded copy that noise hardly reaches
READ_DRIFTS = 3  # drift candidates tried on a copy that is surely a header


class LrFhssReceiver(Receiver):
    """Finds and decodes every LR-FHSS packet in the capture, without being told its setup.

    Options narrow what is accepted: ``ocw`` (channel widths), ``cr``
    (coding rates), ``grid``, ``dr``/``region``, ``hop_seq_id``, ``hopping``;
    ``sync_word`` changes the header sync word (LoRaWAN: 2C0F7995);
    ``header_count`` (a transmitter setting) is ignored.
    """

    def __init__(self, options: dict[str, Any], info: StreamInfo) -> None:
        opts = normalize_options(options)
        if not info.is_complex:
            raise InputError("LR-FHSS needs complex IQ samples, not a real (audio) stream")
        self.info = info
        self.fs = float(info.sample_rate)
        self.ocw = opts.get("ocw")
        self.crs = opts.get("cr")
        self.grids = opts.get("grid")
        self.hop_id = opts.get("hop_seq_id")
        self.hopping = opts.get("hopping")
        narrowest = min(ocw_hz(b) for b in (self.ocw or [0]))
        if self.fs < narrowest * 0.999:
            raise ConfigError(
                f"sample rate {self.fs:g} Hz is below the LR-FHSS channel width {narrowest:g} Hz"
            )
        self.sync_word = bytes.fromhex(opts.get("sync_word", LORAWAN_SYNC_WORD.hex()))
        self.bank = FilterBank(self.fs)
        self.frames = FrameBuffer(self.bank.n_chan)
        # the threshold rises with the number of sub-bands, so that false alarms per second
        # (each costs a sync search) stay about constant on wide captures
        n_sub = self.bank.n_chan * SUB_PER_CHAN
        self.detector = EnergyDetector(
            self.bank.n_chan,
            self.bank.rate,
            sigmas=ENERGY_SIGMAS + 0.5 * max(0.0, np.log10(n_sub / 2000)),
            warmup=-(-len(self.bank.taps) // self.bank.decim),
        )
        self.events: list[tuple[float, int, str, Any]] = []  # (ready time, seq, kind, what)
        self._seq = 0
        self._now = 0.0  # ready time of the event being handled
        self.undecoded: list[HeaderObs] = []
        self.jobs: list[Job] = []
        self.finished: list[Job] = []  # decoded (or given up) packets, for a while
        self.emitted: list[Decoded] = []
        self.recent: list[tuple[float, float, HeaderObs]] = []  # (t, f) of read copies
        self.stats = {"candidates": 0, "syncs": 0, "headers": 0, "combined": 0, "packets": 0}

    # ------------------------------------------------------------------ stream

    def process(self, block: SampleBlock) -> list[Frame]:
        x = np.asarray(block.samples)
        if x.dtype.kind != "c":
            raise InputError("LR-FHSS needs complex IQ samples")
        x = x.astype(np.complex64, copy=False)
        frames, m0 = self.bank.process(x, block.start)
        if len(frames):
            self.frames.append(frames, m0)
            self.detector.push(frames, m0)
        return self._run(final=False)

    def flush(self) -> list[Frame]:
        return self._run(final=True)

    def _t_frame(self, m: float) -> float:
        return self.bank.time_of(m) / self.fs

    def _frame_at(self, t: float) -> float:
        return (t * self.fs + self.bank.delay) / self.bank.decim

    @property
    def _t_stop(self) -> float:
        return self._t_frame(self.frames.stop - 1)

    def _run(self, final: bool) -> list[Frame]:
        """Work through the events whose data have arrived, in the order of that time.

        Every event (a candidate's sync search, a guided look, a packet's
        decode) has the stream time by which its inputs are all in. Events
        run in that order, and only when no candidate the detector may still
        report could come earlier: so the same things happen in the same
        order whatever the block sizes.
        """
        for cand in self.detector.search(final=final):
            self.stats["candidates"] += 1
            t_c = self._t_frame(cand.bin * BIN_FRAMES + BIN_FRAMES / 2)
            t_b = t_c - 57 * T_BIT
            f_c = self.detector.sub_freq(cand.sub, self.bank.freqs)
            span = SEARCH_LONG_S if cand.long else SEARCH_S
            self._push(t_b + span + HDR_T + 0.02, "search", (t_b, f_c, span))
        for job in self.jobs:
            job.collect(lambda t0, t1, f: self._columns(t0, t1, f))
        limit = np.inf if final else min(self._t_avail(), self._horizon())
        out: list[Frame] = []
        while self.events and self.events[0][0] <= limit:
            t_ready, _, kind, arg = heapq.heappop(self.events)
            self._now = t_ready
            if kind == "search":
                self._search(*arg)
            elif kind == "guided":
                self._guided(arg, final)
            else:
                out += self._decode(arg, final)
        self._trim()
        for f in out:
            f.time = self.info.time_of(f.sample_index)
            f.center_freq_hz = self.info.center_freq
        out.sort(key=lambda f: f.sample_index)
        return out

    def _push(self, t_ready: float, kind: str, arg: Any) -> None:
        self._seq += 1
        heapq.heappush(self.events, (t_ready, self._seq, kind, arg))

    def _t_avail(self) -> float:
        """Stream time up to which frames and power bins are all in."""
        bins_frame = self.detector.bins_stop * BIN_FRAMES
        return min(self._t_stop, self._t_frame(bins_frame - 1))

    def _horizon(self) -> float:
        """The earliest ready time a candidate still to be reported can have."""
        t_c = self._t_frame(self.detector.next_bin * BIN_FRAMES + BIN_FRAMES / 2)
        return t_c - 57 * T_BIT + SEARCH_S + HDR_T + 0.02  # a long one is later still

    def _decode(self, job: Job, final: bool) -> list[Frame]:
        job.collect(lambda t0, t1, f: self._columns(t0, t1, f, partial=final))
        if not job.complete() and not final:
            # columns of a hop whose frames were trimmed: zeros (cannot happen unless the
            # buffer was cut short); decode with what there is
            job.collect(lambda t0, t1, f: self._columns(t0, t1, f, partial=True))
        res = job.decode()
        self.jobs.remove(job)
        self.finished.append(job)
        if res is not None and res.crc_ok and not self._repeat(res):
            self.emitted.append(res)
            return [self._frame(res)]
        return []

    def _trim(self) -> None:
        """Forget frames no event, present or future, can need.

        A header copy found at block start ``t_b`` may start a packet whose
        first copies lie up to three header blocks earlier.
        """
        back = 3 * HDR_T + SEARCH_LONG_S + 0.1
        t_next = self._t_frame(self.detector.next_bin * BIN_FRAMES) - 57 * T_BIT
        t_keep = min(self._t_stop, t_next) - back
        for _, _, kind, arg in self.events:
            if kind == "search":
                t_keep = min(t_keep, arg[0] - back)
            elif kind == "guided":
                t_keep = min(t_keep, arg - back)
        for job in self.jobs:
            t_keep = min(t_keep, job.earliest_uncollected())
        self.frames.trim(int(np.floor(self._frame_at(t_keep))) - 4)
        now = self._now
        self.undecoded = [o for o in self.undecoded if o.block_start > now - 2 * KEEP_UNDECODED_S]
        self.recent = [r for r in self.recent if r[0] > now - 2.0]
        self.finished = [j for j in self.finished if j.needed_until() > now - 2.0]
        self.emitted = [r for r in self.emitted if r.start > now - REPEAT_S]

    def _repeat(self, res: Decoded) -> bool:
        """Whether ``res`` is a packet already emitted (found again from another copy)."""
        return any(
            r.payload == res.payload
            and abs(r.start - res.start) < 2 * HDR_T
            and abs(r.fc - res.fc) < 100.0
            for r in self.emitted
        )

    def _columns(
        self, t0: float, t1: float, freq: float, partial: bool = False
    ) -> list[demod.Column] | None:
        """The three channels nearest ``freq`` over [t0, t1]; None until all frames are in
        (with ``partial``, missing frames are zeros)."""
        m0 = int(np.floor(self._frame_at(t0)))
        m1 = int(np.ceil(self._frame_at(t1))) + 1
        if m1 > self.frames.stop and not partial:
            return None
        c = self.bank.channel_of(freq)
        cols = []
        for cc in (c - 1, c, c + 1):
            if 0 <= cc < self.bank.n_chan:
                data = self.frames.view(m0, m1, cc, cc + 1)[:, 0].copy()
                cols.append(
                    demod.Column(
                        data, self._t_frame(m0), self.bank.rate, float(self.bank.freqs[cc])
                    )
                )
        return cols

    # ------------------------------------------------------------------ headers

    def _claimed(self, t: float, f: float) -> bool:
        """Whether (t, f) lies on a hop of a packet already known, or on a copy already read."""
        for job in self.jobs + self.finished:
            if job.claims(t, f):
                return True
        for tr, fr, obs in self.recent:
            if obs.fields is not None:
                if abs(tr - t) < 0.1 and abs(fr - f) < 400.0:
                    return True
            elif abs(tr - t) < 3 * T_BIT and abs(fr - f) < 60.0:
                return True
        return False

    def _search(self, t_b: float, f_c: float, span: float = 0.0) -> None:
        span = span or SEARCH_S
        t_mid = t_b + 57 * T_BIT
        if self._claimed(t_mid, f_c):
            return
        cols = self._columns(t_b - span - 0.02, t_b + span + HDR_T + 0.02, f_c)
        if cols is None:
            return
        col = min(cols, key=lambda k: abs(k.freq - f_c))
        hits = demod.find_sync(
            col,
            t_b - span,
            t_b + span,
            self.sync_word,
            f_lo=f_c - SEARCH_HZ,
            f_hi=f_c + SEARCH_HZ,
        )
        for hit in hits:
            if hit.rho < SYNC_MIN_RHO:
                continue
            if self._claimed(hit.block_start + 57 * T_BIT, hit.freq):
                continue
            self.stats["syncs"] += 1
            best = min(cols, key=lambda k: abs(k.freq - hit.freq))
            drifts = READ_DRIFTS if hit.rho >= GUIDED_TRIGGER else 1
            obs, score = read_block(best, hit.block_start, hit.freq, self.sync_word, drifts=drifts)
            obs.extra["rho"] = hit.rho
            self.recent.append((obs.block_start + 57 * T_BIT, obs.freq, obs))
            self._header(obs)

    def _header(self, obs: HeaderObs, guided: bool = False) -> None:
        if obs.fields is None:
            obs = self._combine(obs) or obs
        if obs.fields is None:
            self.undecoded.append(obs)
            if not guided and obs.extra.get("rho", 0.0) >= GUIDED_TRIGGER:
                for n in (-3, -2, -1, 1, 2, 3):
                    t_b = obs.block_start + n * HDR_T
                    self._push(max(self._guided_ready(t_b), self._now), "guided", t_b)
            return
        if not self._accepts(obs):
            return
        self.stats["headers"] += 1
        for job in self.jobs + self.finished:
            if job.matches(obs):
                job.add(obs)
                return
        job = Job(obs, self.sync_word)
        self.jobs.append(job)
        self._push(max(job.needed_until(), self._now), "decode", job)

    def _guided_ready(self, t_b: float) -> float:
        """When a guided look at block start ``t_b`` has its frames, bins and noise floor."""
        centre = self._guided_bin(t_b)
        d = self.detector
        last_bin = max(centre + 2 + d.half, (centre // FLOOR_EVERY) * FLOOR_EVERY + 2 * d.half)
        return max(t_b + HDR_T + 0.03, self._t_frame((last_bin + 1) * BIN_FRAMES))

    def _guided_bin(self, t_b: float) -> int:
        return int(round(self._frame_at(t_b + 57 * T_BIT) / BIN_FRAMES - 0.5))

    def _guided(self, t_b: float, final: bool) -> None:
        """Look for another copy of an undecoded header where it must be, with a low threshold."""
        centre = self._guided_bin(t_b)
        if not self.detector.has_window(centre, 2):
            return  # before the stream's start, or past its end
        for cand in self.detector.peaks_near(centre, 2, GUIDED_SIGMAS, GUIDED_LIMIT):
            f_c = self.detector.sub_freq(cand.sub, self.bank.freqs)
            if self._claimed(t_b + 57 * T_BIT, f_c):
                continue
            cols = self._columns(t_b - 0.03, t_b + HDR_T + 0.03, f_c, partial=final)
            if cols is None:
                continue
            col = min(cols, key=lambda k: abs(k.freq - f_c))
            hits = demod.find_sync(
                col,
                t_b - 2 * T_BIT,
                t_b + 2 * T_BIT,
                self.sync_word,
                max_hits=1,
                f_lo=f_c - 150.0,
                f_hi=f_c + 150.0,
            )
            for hit in hits:
                if hit.rho < GUIDED_RHO or self._claimed(hit.block_start + 57 * T_BIT, hit.freq):
                    continue
                best = min(cols, key=lambda k: abs(k.freq - hit.freq))
                obs, _ = read_block(best, hit.block_start, hit.freq, self.sync_word)
                obs.extra["rho"] = hit.rho
                self.recent.append((obs.block_start + 57 * T_BIT, obs.freq, obs))
                self._header(obs, guided=True)

    def _accepts(self, obs: HeaderObs) -> bool:
        f = obs.fields
        assert f is not None
        if self.ocw is not None and f.bw not in self.ocw:
            return False
        if self.crs is not None and f.cr not in self.crs:
            return False
        if self.hop_id is not None and f.hop_seq_id != self.hop_id:
            return False
        if self.hopping is not None and f.hopping != self.hopping:
            return False
        return self.grids is None or f.grid in self.grids

    def _combine(self, obs: HeaderObs) -> HeaderObs | None:
        """Decode ``obs`` together with earlier undecoded copies a whole number of blocks away."""
        partners = []
        rho = obs.extra.get("rho", 0.0)
        for o in self.undecoded:
            if max(rho, o.extra.get("rho", 0.0)) < GUIDED_TRIGGER:
                continue  # two weak hits are mostly noise: not worth the trials
            d = (obs.block_start - o.block_start) / HDR_T
            n = int(round(d))
            if 1 <= n <= 3 and abs(d - n) * HDR_T < 0.75 * T_BIT:
                partners.append((n, o))
        if not partners:
            return None
        # pairs first, then everything: index hypotheses for the newest copy k, older k + n
        groups = [[p] for p in partners]
        if len(partners) > 1:
            groups.append(partners)
        for group in groups:
            max_n = max(n for n, _ in group)
            copies = [obs] + [o for _, o in group]
            hyps = [[k] + [k + n for n, _ in group] for k in range(0, 4 - max_n)]
            hyps.append([0] * len(copies))  # transmitters that write 0 in every copy
            for idx in hyps:
                fields = decode_copies(copies, idx, self.sync_word)
                if fields is not None:
                    self.stats["combined"] += 1
                    for _, o in group:
                        if o in self.undecoded:
                            self.undecoded.remove(o)
                    obs.fields = fields
                    obs.combined = len(copies)
                    return obs
        return None

    # ------------------------------------------------------------------ frames

    def _frame(self, res: Decoded) -> Frame:
        self.stats["packets"] += 1
        f = res.fields
        sample = int(round(res.start * self.fs))
        snr = float(10 * np.log10(max(res.snr, 1e-12)))
        _, _, t_last, dur_last, _ = res.hops[-1]
        return Frame(
            protocol="lrfhss",
            sample_index=sample,
            payload=res.payload,
            crc_ok=res.crc_ok,
            freq_offset_hz=res.fc,
            snr_db=snr,
            sample_count=max(1, int(round((t_last + dur_last) * self.fs)) - sample),
            fields={
                "snr_bandwidth_hz": BIT_RATE,
                "ebn0_db": round(snr, 2),  # one bit per 488.28 Hz: the same number
                "dr": data_rate_of(f.bw, f.cr, f.grid),
                "cr": CR_TEXT[f.cr],
                "ocw_hz": round(ocw_hz(f.bw), 2),
                "grid_hz": 3906.25 if f.grid == 1 else 25390.625,
                "hop_seq_id": f.hop_seq_id,
                "hopping": f.hopping,
                "header_copies": res.copies,
                "header_copies_decoded": res.copies_decoded,
                "fragments": f"{res.frags_ok}/{res.n_frags}",
                "drift_hz_s": round(res.alpha, 1),
                "drift_uncertainty_hz_s": round(max(1.96 * res.alpha_sd, 0.1), 1),
                "hops": res.hops,
            },
        )


__all__ = ["LrFhssReceiver"]
