"""One LR-FHSS packet being received: its hops, the hypotheses about them, and the decode.

A decoded header says everything but which copy it was. The copy index
(``k`` copies still to come) fixes it for Semtech devices: the copy sits on
LFSR position ``3 - k`` and the payload starts on position 4, ``k + 1``
header blocks later, whatever the number of copies. Transmitters that write
0 in every copy exist (the ``lrfhss`` package's encoder does), so the other
positions are tried too, the claimed one first. Each hypothesis fixes the
channel centre (the observed carrier minus that position's hop offset) and
so every hop's time and frequency.

The columns of the filter bank around every hop are copied as they arrive
(three channels, so that a drift the headers did not foresee still falls
inside), and the payload is decoded when the last hop is in: fragments in
time order, each fitted for phase and residual frequency around the
carrier a running straight-line fit (frequency and drift) predicts, soft
bits weighted by each fragment's own noise (a fragment hit by another
packet counts for less), then the Viterbi decoder and the CRC-16. When the
CRC fails, the decoded bits are re-encoded and the fits repeated with them
known, and the payload decoded once more.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from sdrlink.protocols.lrfhss import coding, demod, fec
from sdrlink.protocols.lrfhss.coding import HeaderFields
from sdrlink.protocols.lrfhss.header import MAX_DRIFT, HeaderObs, _fit_block, read_block
from sdrlink.protocols.lrfhss.hopping import hop_offsets

T_BIT = demod.T_BIT
HDR_T = coding.HEADER_BITS * T_BIT
FRAG_T = (coding.FRAG_BITS + coding.GUARD_BITS) * T_BIT
MARGIN_T = 6 * T_BIT  # column margin around a hop
CONFIRM = 0.6  # sync-pattern score of a header copy confirmed at its predicted place
CONFIRM_RHO = 0.09  # and its sync correlation (noise stays below it in that small search)
FREQ_FIT_MIN = 2.0  # Hz: below this predicted spread a fragment's frequency is not re-fitted
PRIOR_ALPHA_SD = 60.0  # Hz/s: how far the drift may be from what the anchor header measured
DISTURBED = 2.0  # a hop whose noise is this much above the packet's has its own LLR scale


def same_packet(a: HeaderFields, b: HeaderFields) -> bool:
    return (a.length, a.cr, a.grid, a.hopping, a.bw, a.hop_seq_id) == (
        b.length,
        b.cr,
        b.grid,
        b.hopping,
        b.bw,
        b.hop_seq_id,
    )


@dataclass
class HopSpec:
    position: int  # 0..3 header positions, 4 + f fragments
    start: float  # block start (stream time)
    n_bits: int
    offset: float  # hop frequency relative to the channel centre


@dataclass
class Hypothesis:
    k: int  # copies after the anchor
    block0: float  # stream time of position 0
    fc: float  # channel centre at t_ref
    alpha: float
    t_ref: float
    hops: list[HopSpec] = field(default_factory=list)
    columns: dict[int, list[demod.Column]] = field(default_factory=dict)

    def freq(self, hop: HopSpec, t: float) -> float:
        return self.fc + self.alpha * (t - self.t_ref) + hop.offset

    def end(self) -> float:
        last = self.hops[-1]
        return last.start + (last.n_bits + 3) * T_BIT + MARGIN_T


@dataclass
class Decoded:
    payload: bytes
    crc_ok: bool
    fields: HeaderFields
    start: float  # stream time of the first header copy received
    fc: float  # channel centre at ``start``
    alpha: float
    alpha_sd: float  # the drift's standard error (Hz/s) from the track's fit
    snr: float  # linear, 488 Hz bandwidth
    copies: int  # header copies received
    copies_decoded: int
    frags_ok: int
    n_frags: int
    hypothesis_k: int
    hops: list[tuple[str, int, float, float, float]]  # kind, index, start, duration, freq


class Job:
    """Collects and decodes one packet announced by a decoded header copy."""

    def __init__(self, anchor: HeaderObs, sync_word: bytes) -> None:
        assert anchor.fields is not None
        self.fields = anchor.fields
        self.sync_word = sync_word
        self.anchor = anchor
        self.others: list[HeaderObs] = []
        f = anchor.fields
        self.n_frags = coding.n_fragments(f.length, f.cr)
        n_sent = coding.payload_coded_bits(f.length, f.cr)
        self.frag_bits = [
            coding.GUARD_BITS + min(coding.FRAG_BITS, n_sent - i)
            for i in range(0, n_sent, coding.FRAG_BITS)
        ]
        self.offsets = hop_offsets(f.bw, f.grid, f.hop_seq_id, 4, self.n_frags, f.hopping)
        order = [anchor.fields.index] + [k for k in range(4) if k != anchor.fields.index]
        self.hyps = [self._hypothesis(k) for k in order]
        self.done = False
        self.winner: Hypothesis | None = None

    def _hypothesis(self, k: int) -> Hypothesis:
        a = self.anchor
        pos = 3 - k
        block0 = a.block_start - pos * HDR_T
        h = Hypothesis(k, block0, a.freq - self.offsets[pos], a.alpha, a.t_mid)
        for p in range(4):
            h.hops.append(HopSpec(p, block0 + p * HDR_T, coding.HEADER_BITS, self.offsets[p]))
        frag0 = block0 + 4 * HDR_T
        for i, n in enumerate(self.frag_bits):
            h.hops.append(HopSpec(4 + i, frag0 + i * FRAG_T, n, self.offsets[4 + i]))
        return h

    # ------------------------------------------------------------------ bookkeeping

    def matches(self, obs: HeaderObs) -> bool:
        """Whether a decoded header copy belongs to this packet (any hypothesis)."""
        if obs.fields is None or not same_packet(obs.fields, self.fields):
            return False
        for h in self.hyps:
            for hop in h.hops[:4]:
                if (
                    abs(obs.block_start - hop.start) < T_BIT
                    and abs(obs.freq_at(hop.start) - h.freq(hop, hop.start)) < 60.0
                ):
                    return True
        return False

    def add(self, obs: HeaderObs) -> None:
        self.others.append(obs)

    def claims(self, t: float, f: float) -> bool:
        """Whether time ``t`` and frequency ``f`` lie on one of this packet's hops (those
        of the claimed copy index until decoded, then those of the decoded hypothesis)."""
        for h in [self.winner] if self.winner is not None else self.hyps[:1]:
            for hop in h.hops:
                if hop.start - 0.05 <= t <= hop.start + hop.n_bits * T_BIT + 0.05:
                    if abs(f - h.freq(hop, t)) < 400.0:
                        return True
        return False

    def needed_until(self) -> float:
        return max(h.end() for h in self.hyps)

    def earliest_uncollected(self) -> float:
        """Stream time before which this job needs no more filter-bank frames."""
        t = np.inf
        for h in self.hyps:
            for hop in h.hops:
                if hop.position not in h.columns:
                    t = min(t, hop.start - MARGIN_T)
        return float(t)

    def collect(self, get_columns) -> None:  # noqa: ANN001
        """Copy the columns of every hop whose frames have arrived.

        ``get_columns(t0, t1, freq)`` returns the three channels nearest
        ``freq`` over stream times [t0, t1], or None while not all there yet.
        """
        for h in self.hyps:
            for hop in h.hops:
                if hop.position in h.columns:
                    continue
                t0 = hop.start - MARGIN_T
                t1 = hop.start + (hop.n_bits + 3) * T_BIT + MARGIN_T
                cols = get_columns(t0, t1, h.freq(hop, 0.5 * (t0 + t1)))
                if cols is not None:
                    h.columns[hop.position] = cols

    def complete(self) -> bool:
        return all(len(h.columns) == len(h.hops) for h in self.hyps)

    # ------------------------------------------------------------------ decoding

    def decode(self) -> Decoded | None:
        """Try the hypotheses, the claimed copy index first, until a payload passes its CRC.

        The others are ranked by how many header copies are found where they
        put them (a wrong one finds none but the anchor).
        """
        self.done = True
        first = self.hyps[0]
        heads = self._headers(first)
        res = self._payload(first, heads)
        if res is not None and res.crc_ok:
            self.winner = first
            return res
        others = []
        for h in self.hyps[1:]:
            hh = self._headers(h)
            others.append((sum(o is not None for o in hh), h, hh))
        others.sort(key=lambda x: -x[0])
        best_fail = res
        for n_found, h, hh in others:
            if n_found < 2 and len(others) > 1 and others[0][0] >= 2:
                break  # a hypothesis that finds more copies explains the packet better
            r = self._payload(h, hh)
            if r is not None and r.crc_ok:
                self.winner = h
                return r
            best_fail = best_fail or r
        return best_fail

    def _column(self, h: Hypothesis, hop: HopSpec, freq: float) -> demod.Column:
        cols = h.columns[hop.position]
        return min(cols, key=lambda c: abs(c.freq - freq))

    def _headers(self, h: Hypothesis) -> list[HeaderObs | None]:
        """Each header position read where this hypothesis puts it (None: no copy there).

        The copies found share one drift, measured on all of them together,
        and are read again with it; the hypothesis takes that drift.
        """
        out: list[HeaderObs | None] = []
        a = self.anchor
        anchor_pos = 3 - h.k
        for hop in h.hops[:4]:
            if hop.position == anchor_pos:
                out.append(a)
                continue
            # where the copy is, the drift not trusted: the sync search covers what a
            # drift of up to MAX_DRIFT moves it from the anchor's carrier
            dt = hop.start - a.block_start
            f0 = a.freq - self.offsets[anchor_pos] + hop.offset
            span = 5.0 + MAX_DRIFT * abs(dt)
            col = self._column(h, hop, f0)
            hits = demod.find_sync(
                col,
                hop.start - 2 * T_BIT,
                hop.start + 2 * T_BIT,
                self.sync_word,
                max_hits=1,
                f_lo=f0 - span,
                f_hi=f0 + span,
            )
            obs = None
            if hits:
                c = self._column(h, hop, hits[0].freq)
                obs, score = read_block(c, hits[0].block_start, hits[0].freq, self.sync_word)
                same = obs.fields is not None and same_packet(obs.fields, self.fields)
                found = hits[0].rho >= CONFIRM_RHO and score > CONFIRM
                obs = obs if found or same else None
            out.append(obs)
        present = [(i, o) for i, o in enumerate(out) if o is not None]
        if len(present) >= 2:
            blocks = [o.extra["lattice"][:3] for _, o in present]
            alpha = demod.drift_candidates(blocks, MAX_DRIFT, 3.0, 1)[0]
            for i, o in present:
                r, t, w, f0 = o.extra["lattice"]
                again = _fit_block(r, t, w, o.block_start, f0, alpha, 3.0, self.sync_word)
                if again.fields is None and o.fields is not None:
                    again.fields = o.fields
                out[i] = again
            h.alpha = alpha
        return out

    def _payload(self, h: Hypothesis, heads: list[HeaderObs | None]) -> Decoded | None:
        pts = []  # (t, channel centre, variance) from every hop read so far
        for hop, o in zip(h.hops[:4], heads, strict=True):
            if o is not None:
                pts.append((o.t_mid, o.freq - hop.offset, _freq_var(o.snr, coding.HEADER_BITS)))
        if not pts:
            return None
        prior = (h.alpha, PRIOR_ALPHA_SD)
        frag_hops = h.hops[4:]
        # pass A: fragments in time order, each extending the carrier's straight line
        track = Track.fit(pts, prior)
        for hop in frag_hops:
            f = self._fragment_freq(h, hop, track, known=None)
            if f is not None:
                pts.append(f)
                track = Track.fit(pts, prior)
        # pass B: every fragment on the final line, its phase fitted alone
        parts, fits = self._fragments(h, frag_hops, track)
        res = fec.turbo_payload(parts, self.fields.length, self.fields.cr)
        if not res.crc_ok:
            # decisions known: coherent frequency estimates, a new line, and once more
            sent = fec.reencode_payload(res.bits, self.fields.cr)
            pts2 = pts[: len([o for o in heads if o is not None])]
            pos = 0
            for hop in frag_hops:
                n_data = hop.n_bits - coding.GUARD_BITS
                f = self._fragment_freq(h, hop, track, known=sent[pos : pos + n_data])
                if f is not None:
                    pts2.append(f)
                pos += n_data
            track2 = Track.fit(pts2, prior)
            parts2, fits2 = self._fragments(h, frag_hops, track2)
            res2 = fec.turbo_payload(parts2, self.fields.length, self.fields.cr)
            if res2.crc_ok:
                res, fits, parts, track = res2, fits2, parts2, track2
        return self._report(h, heads, res, fits, parts, track)

    def _report(self, h, heads, res, fits, parts, track) -> Decoded:  # noqa: ANN001
        present = [o for o in heads if o is not None]
        decoded = sum(
            1 for o in present if o.fields is not None and same_packet(o.fields, self.fields)
        )
        first = next(hop.start for hop, o in zip(h.hops[:4], heads, strict=True) if o is not None)
        sig = [f.amp**2 for f in fits] + [o.amp**2 for o in present]
        noi = [2 * f.noise for f in fits] + [2 * o.noise for o in present]
        snr = float(np.mean(sig) / max(np.mean(noi), 1e-12))
        sent = fec.reencode_payload(res.bits, self.fields.cr)
        hops = []
        for hop, o in zip(h.hops[:4], heads, strict=True):
            if o is not None:
                hops.append(
                    (
                        "header",
                        3 - hop.position,
                        hop.start,
                        HDR_T,
                        track.freq(hop.start) + hop.offset,
                    )
                )
        for i, hop in enumerate(h.hops[4:]):
            hops.append(
                ("payload", i, hop.start, hop.n_bits * T_BIT, track.freq(hop.start) + hop.offset)
            )
        return Decoded(
            payload=res.payload,
            crc_ok=res.crc_ok,
            fields=self.fields,
            start=first,
            fc=track.freq(first),
            alpha=track.alpha,
            alpha_sd=float(np.sqrt(max(track.cov[1, 1], 0.0))),
            snr=snr,
            copies=len(present),
            copies_decoded=decoded,
            frags_ok=_fragments_matching(parts, sent),
            n_frags=len(h.hops) - 4,
            hypothesis_k=h.k,
            hops=hops,
        )

    def _lattice(self, h: Hypothesis, hop: HopSpec, track: Track):  # noqa: ANN202
        n = hop.n_bits
        t = demod.block_lattice_times(hop.start, 1, n - 1)  # after bits 1..n-1
        tc = float(t[len(t) // 2])
        f_pred = track.freq(tc) + hop.offset
        col = self._column(h, hop, f_pred)
        y = demod.lattice(col, t, f_pred, track.alpha, tc)
        w = np.ones(n - 1)
        w[-1] = 0.5
        return demod.rotate(y, 1), t, tc, w

    def _fragment_freq(
        self, h: Hypothesis, hop: HopSpec, track: Track, known: np.ndarray | None
    ) -> tuple[float, float, float] | None:
        """A fragment's own estimate of the channel centre: (time, frequency, variance)."""
        r, t, tc, w = self._lattice(h, hop, track)
        kn = None
        if known is not None:
            kn = np.cumprod(np.concatenate([[1.0], 2.0 * known - 1.0]))
        span = float(np.clip(track.spread(tc), 3.0, 60.0))
        fit = demod.fit_carrier(r, t, freq_span=span, alpha_span=0.0, known=kn, weights=w)
        snr = fit.amp**2 / (2 * fit.noise)
        var = _freq_var(snr * (4.0 if known is not None else 1.0), hop.n_bits)
        return (fit.t_mid, track.freq(tc) + fit.freq, var)

    def _fragments(
        self, h: Hypothesis, frag_hops: list[HopSpec], track: Track
    ) -> tuple[list[np.ndarray], list[demod.BlockFit]]:
        """Lattice-point LLRs of every fragment on the carrier line ``track``."""
        us, ws, fits = [], [], []
        for hop in frag_hops:
            r, t, tc, w = self._lattice(h, hop, track)
            spread = track.spread(tc)
            span = 0.0 if spread < FREQ_FIT_MIN else min(60.0, spread)
            fit = demod.fit_carrier(r, t, freq_span=span, alpha_span=0.0, weights=w)
            us.append((r * np.conj(fit.phasor(t))).real)
            ws.append(w)
            fits.append(fit)
        # one amplitude and noise level for the packet, unless a hop was disturbed
        amp = float(np.median([f.amp for f in fits]))
        noise = float(np.median([f.noise for f in fits]))
        parts = []
        for u, w, f in zip(us, ws, fits, strict=True):
            hit = f.noise > DISTURBED * noise
            nv, a = (f.noise, min(f.amp, amp)) if hit else (noise, amp)
            parts.append(np.clip(2.0 * a * w * u / nv, -30, 30).astype(np.float32))
        return parts, fits


def _freq_var(snr: float, n_bits: int) -> float:
    """Variance (Hz^2) of a hop's frequency estimate: twice its Cramer-Rao bound, at least 0.1."""
    return max(2.0 / _freq_weight(snr, n_bits), 0.1)


def _freq_weight(snr: float, n_bits: int) -> float:
    """Inverse variance (1/Hz^2) of a hop's frequency estimate, roughly its Cramer-Rao bound."""
    snr = max(snr, 0.05)
    eff = snr * snr / (1 + 2 * snr)  # squaring loss
    t = n_bits * T_BIT
    return float(eff * n_bits * (np.pi * t) ** 2 / 3)


def _fragments_matching(parts: list[np.ndarray], sent: np.ndarray) -> int:
    """Fragments whose hard decisions mostly agree with the re-encoded payload."""
    ok, pos = 0, 0
    for p in parts:
        bits = (p[1:] > 0) == (p[:-1] > 0)  # a bit is 1 where neighbouring signs agree
        ref = sent[pos : pos + len(bits)]
        agree = np.mean(bits == (ref == 1)) if len(bits) else 0.0
        ok += agree > 0.65
        pos += len(bits)
    return ok


class Track:
    """A straight line through the channel centres the hops saw: ``f(t) = f0 + alpha (t - t0)``.

    Weighted least squares with a prior on the drift; points more than 3.5
    standard deviations off the line are dropped (a hop hit by another
    packet, or a frequency estimate fooled by noise) and the line refitted.
    """

    def __init__(self, f0: float, alpha: float, t0: float, cov: np.ndarray) -> None:
        self.f0, self.alpha, self.t0, self.cov = f0, alpha, t0, cov

    @classmethod
    def fit(cls, pts: list[tuple[float, float, float]], prior: tuple[float, float]) -> Track:
        t = np.array([p[0] for p in pts])
        f = np.array([p[1] for p in pts])
        var = np.array([p[2] for p in pts])
        t0 = float(t[0])
        keep = np.ones(len(t), dtype=bool)
        a0, a_sd = prior
        for _ in range(4):
            w = keep / var
            g = np.stack([np.ones_like(t), t - t0], axis=1)
            info = (g * w[:, None]).T @ g + np.diag([1e-9, 1.0 / a_sd**2])
            vec = (g * w[:, None]).T @ f + np.array([0.0, a0 / a_sd**2])
            cov = np.linalg.inv(info)
            est = cov @ vec
            res = np.abs(f - g @ est) / np.sqrt(var + np.einsum("ij,jk,ik->i", g, cov, g))
            worst = int(np.argmax(np.where(keep, res, -1.0)))
            if res[worst] <= 3.5 or keep.sum() <= 2:
                break
            keep[worst] = False
        return cls(float(est[0]), float(est[1]), t0, cov)

    def freq(self, t: float) -> float:
        return self.f0 + self.alpha * (t - self.t0)

    def spread(self, t: float) -> float:
        """Three standard deviations of the line at ``t`` (Hz)."""
        g = np.array([1.0, t - self.t0])
        return float(3.0 * np.sqrt(max(g @ self.cov @ g, 0.0)))
