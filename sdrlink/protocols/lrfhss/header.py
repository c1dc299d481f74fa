"""Reading one header hop: from a sync hit (or a predicted position) to header fields.

The sync hit gives the block's timing and carrier; the lattice of the whole
114-bit block is then fitted for phase, frequency and drift (the squared
lattice over all bits, anchored by the known sync bits), the timing is
refined by a quarter-bit search, and the 80 coded bits are decoded.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from sdrlink.protocols.lrfhss import coding, demod, fec
from sdrlink.protocols.lrfhss.coding import HeaderFields

T_BIT = demod.T_BIT
LAST_POINT_WEIGHT = 0.5  # the block's last lattice point straddles the next hop
MAX_DRIFT = 400.0  # Hz/s searched for a header read alone (LEO at 868 MHz: ~300)


@dataclass
class HeaderObs:
    """One header copy as received."""

    block_start: float  # stream time of the block's first bit
    freq: float  # carrier at t_mid (Hz, absolute)
    alpha: float  # drift (Hz/s)
    t_mid: float
    lam: np.ndarray  # LLRs of the lattice-point signs after bits 1..113
    fields: HeaderFields | None
    raw: bytes
    amp: float
    noise: float
    sync_rho: float
    combined: int = 1  # copies whose soft bits were summed into ``soft``
    extra: dict = field(default_factory=dict)

    @property
    def snr(self) -> float:
        """Signal over noise in the 488 Hz hop bandwidth (linear)."""
        return self.amp * self.amp / (2 * self.noise)

    def freq_at(self, t: float) -> float:
        return self.freq + self.alpha * (t - self.t_mid)


@lru_cache(maxsize=4)
def sync_pattern(sync_word: bytes) -> np.ndarray:
    """Known signs of ``r_b`` (lattice after bit b, b = 0..113) over the sync; 0 elsewhere."""
    a = 2.0 * coding.bytes_to_bits(sync_word) - 1.0
    known = np.zeros(coding.HEADER_BITS)
    start = coding.SYNC_START - 1  # the point before the first sync bit
    known[start : start + coding.SYNC_BITS + 1] = np.cumprod(np.concatenate([[1.0], a]))
    return known


def _weights(n: int) -> np.ndarray:
    w = np.ones(n)
    w[-1] = LAST_POINT_WEIGHT
    return w


def read_block(
    col: demod.Column,
    block_start: float,
    freq: float,
    sync_word: bytes,
    alpha_span: float = MAX_DRIFT,
    alpha0: float = 0.0,
    freq_span: float = 3.0,
    drifts: int = 1,
) -> tuple[HeaderObs, float]:
    """Fit and decode the header block starting at ``block_start`` with carrier ``freq``.

    The drift is searched over ``alpha0 +- alpha_span``; when the best drift
    does not give a valid header, up to ``drifts`` candidates are tried.
    Returns the observation and its sync score (correlation of the fitted
    lattice with the known sync pattern, 0..1).
    """
    n = coding.HEADER_BITS
    t = demod.block_lattice_times(block_start, 0, n)[1:]  # after bits 1..113
    y = demod.lattice(col, t, freq, 0.0, float(t[len(t) // 2]))
    r = demod.rotate(y, 1)
    w = _weights(len(r))
    if alpha_span > 0:
        cands = demod.drift_candidates([(r, t, w)], alpha_span, freq_span, max(drifts, 1))
        cands = [a + alpha0 for a in cands] if alpha0 else cands
    else:
        cands = [alpha0]
    first = None
    for a in cands:
        obs = _fit_block(r, t, w, block_start, freq, a, freq_span, sync_word)
        if first is None:
            first = obs
        if obs.fields is not None:
            return obs, obs.sync_rho
    assert first is not None
    return first, first.sync_rho


def _fit_block(
    r: np.ndarray,
    t: np.ndarray,
    w: np.ndarray,
    block_start: float,
    freq: float,
    alpha: float,
    freq_span: float,
    sync_word: bytes,
) -> HeaderObs:
    known = sync_pattern(sync_word)[1:]
    fit = demod.fit_carrier(r, t, freq_span=freq_span, alpha0=alpha, known=known, weights=w)
    u = (r * np.conj(fit.phasor(t))).real
    ks = known != 0
    score = float(
        abs(np.sum(u[ks] * known[ks])) / max(np.sqrt(np.sum(u[ks] ** 2) * ks.sum()), 1e-12)
    )
    lam = np.clip(2.0 * fit.amp * w * u / fit.noise, -30, 30).astype(np.float32)
    fields, raw = fec.turbo_header([(lam, np.zeros(80, dtype=np.uint8))], sync_word)
    if fields is not None and not plausible(fields):
        fields = None
    obs = HeaderObs(
        block_start=block_start,
        freq=freq + fit.freq,
        alpha=fit.alpha,
        t_mid=fit.t_mid,
        lam=lam,
        fields=fields,
        raw=raw,
        amp=fit.amp,
        noise=fit.noise,
        sync_rho=score,
    )
    obs.extra["lattice"] = (r, t, w, freq)
    return obs


def refit(obs: HeaderObs, alpha: float, sync_word: bytes) -> np.ndarray:
    """The copy's lattice-point LLRs again, for a given drift."""
    r, t, w, _ = obs.extra["lattice"]
    known = sync_pattern(sync_word)[1:]
    fit = demod.fit_carrier(r, t, freq_span=3.0, alpha0=alpha, known=known, weights=w)
    u = (r * np.conj(fit.phasor(t))).real
    return np.clip(2.0 * fit.amp * w * u / fit.noise, -30, 30).astype(np.float32)


def plausible(f: HeaderFields) -> bool:
    """Header fields a transmitter can send (beyond the CRC-8)."""
    from sdrlink.protocols.lrfhss.hopping import hop_sequence_count, valid_config

    return (
        f.modulation == 0
        and f.reserved == 0
        and f.length >= 1
        and valid_config(f.bw, f.grid)
        and f.hop_seq_id < hop_sequence_count(f.bw, f.grid)
    )


def decode_copies(
    obs: list[HeaderObs], indices: list[int], sync_word: bytes, drifts: int = 3
) -> HeaderFields | None:
    """Decode several copies together, copy ``i`` assumed to carry index ``indices[i]``.

    The copies share one drift: the best few of their summed squared power
    are tried, each copy refitted for it.
    """
    blocks = [o.extra["lattice"][:3] for o in obs]
    for a in demod.drift_candidates(blocks, MAX_DRIFT, 3.0, drifts):
        copies = [
            (refit(o, a, sync_word), fec.header_difference(indices[0], k))
            for o, k in zip(obs, indices, strict=True)
        ]
        fields, _ = fec.turbo_header(copies, sync_word)
        if fields is not None and plausible(fields) and fields.index == indices[0]:
            return fields
    return None
