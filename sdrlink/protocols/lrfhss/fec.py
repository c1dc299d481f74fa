"""Soft-decision decoding of LR-FHSS headers and payloads (Viterbi in ``_ext.lrfhss_dsp``).

Soft values are log-likelihood ratios with the sign of the bit: positive means
1, zero means nothing known (a punctured or erased bit).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sdrlink._ext import lrfhss_dsp
from sdrlink.protocols.lrfhss import coding
from sdrlink.protocols.lrfhss.coding import HeaderFields


@lru_cache(maxsize=2)
def _signs(code: coding.ConvCode) -> np.ndarray:
    return (2.0 * code.output_table() - 1.0).astype(np.float32)


def header_soft_from_block(block_soft: np.ndarray) -> np.ndarray:
    """The 80 coded-bit soft values of a 114-bit header block (guard and sync dropped)."""
    a = coding.GUARD_BITS
    b = a + coding.HALF_HEADER_BITS
    return np.concatenate([block_soft[a:b], block_soft[b + coding.SYNC_BITS :]])


def decode_header(soft80: np.ndarray) -> tuple[HeaderFields | None, bytes, float]:
    """Decode 80 soft header bits (air order): fields (None if the CRC fails), bytes, metric."""
    coded = np.zeros(80, dtype=np.float32)
    coded[coding.header_interleaver()] = soft80
    out = np.zeros(40, dtype=np.uint8)
    code = coding.HEADER_CODE
    metric = lrfhss_dsp.viterbi_tailbiting(coded, 40, code.k, _signs(code), out)
    raw = coding.bits_to_bytes(out)
    return HeaderFields.from_bytes(raw), raw, float(metric)


@lru_cache(maxsize=64)
def header_difference(index_a: int, index_b: int) -> np.ndarray:
    """Sent-bit pattern (air order, 80 bits) by which two copies with these indices differ.

    The header code and the CRC are linear apart from the CRC's initial value,
    which cancels between two headers of the same length: the copies differ
    by the coded, interleaved difference of their index fields and CRCs.
    """
    if index_a == index_b:
        return np.zeros(80, dtype=np.uint8)
    base = HeaderFields(length=0, cr=0, grid=0, hopping=False, bw=0, hop_seq_id=0, index=index_a)
    other = HeaderFields(length=0, cr=0, grid=0, hopping=False, bw=0, hop_seq_id=0, index=index_b)
    a = coding.bytes_to_bits(base.to_bytes())
    b = coding.bytes_to_bits(other.to_bytes())
    diff = coding.encode_header_bits(a ^ b)
    return diff[coding.header_interleaver()]


@dataclass
class PayloadResult:
    payload: bytes
    crc_ok: bool
    bits: np.ndarray  # decoded mother-code input bits (whitened payload, CRC, tail)


def decode_payload(soft: np.ndarray, length: int, cr: int) -> PayloadResult:
    """Decode the sent payload bits' soft values (air order) of a ``length``-byte payload."""
    n_sent = coding.payload_coded_bits(length, cr)
    n_in = coding.payload_mother_bits(length)
    if len(soft) != n_sent:
        raise ValueError(f"expected {n_sent} soft values, got {len(soft)}")
    punct = np.zeros(n_sent, dtype=np.float32)
    punct[coding.payload_interleaver(n_sent)] = soft
    mother = coding.depuncture(punct, cr, 3 * n_in)
    out = np.zeros(n_in, dtype=np.uint8)
    code = coding.PAYLOAD_CODE
    lrfhss_dsp.viterbi(mother, n_in, code.k, _signs(code), 0, 0, out)
    raw = coding.bits_to_bytes(out[: 8 * (length + 2)])
    wh, crc = raw[:length], (raw[length] << 8) | raw[length + 1]
    return PayloadResult(coding.dewhiten(wh), coding.crc16(wh) == crc, out)


def reencode_payload(bits: np.ndarray, cr: int) -> np.ndarray:
    """The sent bits (air order) that decoded input ``bits`` stand for."""
    coded, _ = coding.PAYLOAD_CODE.encode(bits, 0)
    kept = coded[coding.puncture_mask(cr, len(coded))]
    return kept[coding.payload_interleaver(len(kept))]


def turbo_payload(
    points: list[np.ndarray], length: int, cr: int, iterations: int = 12
) -> PayloadResult:
    """Iterative decoding of a payload from the lattice-point LLRs of its fragments.

    ``points[f]`` holds the LLRs of the signs of fragment ``f``'s lattice points
    (the one after the second guard bit, then one per data bit). GMSK sends
    each coded bit as the product of two neighbouring signs, a rate-1 inner
    code behind the interleaver: its soft-in soft-out detector
    (``bcjr_differential``) and the convolutional code's log-MAP decoder
    exchange extrinsic information until the CRC passes (at most
    ``iterations`` rounds). The first round equals one-shot detection.
    """
    n_sent = coding.payload_coded_bits(length, cr)
    n_in = coding.payload_mother_bits(length)
    sizes = [len(p) - 1 for p in points]
    if sum(sizes) != n_sent:
        raise ValueError(f"expected {n_sent} bits in the fragments, got {sum(sizes)}")
    perm = coding.payload_interleaver(n_sent)
    mask = coding.puncture_mask(cr, 3 * n_in)
    code = coding.PAYLOAD_CODE
    la_sent = np.zeros(n_sent, dtype=np.float32)
    ext_sent = np.zeros(n_sent, dtype=np.float32)
    ext_mother = np.zeros(3 * n_in, dtype=np.float32)
    app = np.zeros(n_in, dtype=np.float32)
    best: PayloadResult | None = None
    for _ in range(max(1, iterations)):
        pos = 0
        for p, n in zip(points, sizes, strict=True):
            seg = np.zeros(n, dtype=np.float32)
            lrfhss_dsp.bcjr_differential(
                np.ascontiguousarray(p, dtype=np.float32), la_sent[pos : pos + n].copy(), seg
            )
            ext_sent[pos : pos + n] = seg
            pos += n
        punct = np.zeros(n_sent, dtype=np.float32)
        punct[perm] = ext_sent
        mother = np.zeros(3 * n_in, dtype=np.float32)
        mother[mask] = punct
        lrfhss_dsp.bcjr_conv(mother, n_in, code.k, _signs(code), False, ext_mother, app)
        res = _payload_from_bits((app > 0).astype(np.uint8), length)
        if res.crc_ok:
            return res
        if best is None:
            best = res
        la_sent = np.clip(ext_mother[mask][perm], -30, 30).astype(np.float32)
    assert best is not None
    return best


def _payload_from_bits(bits: np.ndarray, length: int) -> PayloadResult:
    raw = coding.bits_to_bytes(bits[: 8 * (length + 2)])
    wh, crc = raw[:length], (raw[length] << 8) | raw[length + 1]
    return PayloadResult(coding.dewhiten(wh), coding.crc16(wh) == crc, bits)


_KNOWN_LLR = 20.0


def turbo_header(
    copies: list[tuple[np.ndarray, np.ndarray]], sync_word: bytes, iterations: int = 6
) -> tuple[HeaderFields | None, bytes]:
    """Iterative decoding of one header from one or more received copies.

    Each copy is ``(lam, diff)``: the LLRs of its 113 lattice-point signs
    (after bits 1..113 of the block) and the 80-bit pattern (air order) by
    which its coded bits differ from the first copy's (its copy index). The
    sync bits are known to the inner detectors; the outer log-MAP decoder of
    the tail-biting code takes the sum of every copy's extrinsic values and
    returns to each copy what the others and the code say.
    """
    n_pts = coding.HEADER_BITS - 1
    perm = coding.header_interleaver()
    code = coding.HEADER_CODE
    sync = 2.0 * coding.bytes_to_bits(sync_word).astype(np.float32) - 1.0
    a, b = coding.HALF_HEADER_BITS, coding.HALF_HEADER_BITS + coding.SYNC_BITS
    flips = [np.where(d == 1, -1.0, 1.0).astype(np.float32) for _, d in copies]
    lams = []
    for lam, _ in copies:
        if len(lam) != n_pts:
            raise ValueError(f"a header copy needs {n_pts} lattice points, got {len(lam)}")
        lams.append(np.ascontiguousarray(lam, dtype=np.float32))
    la_copy = [np.zeros(80, dtype=np.float32) for _ in copies]  # a priori per copy (own frame)
    ext_copy = [np.zeros(80, dtype=np.float32) for _ in copies]
    ext_coded = np.zeros(80, dtype=np.float32)
    app = np.zeros(40, dtype=np.float32)
    fields: HeaderFields | None = None
    raw = b""
    for it in range(max(1, iterations)):
        total = np.zeros(80, dtype=np.float32)
        for i, lam in enumerate(lams):
            la = np.empty(n_pts - 1, dtype=np.float32)
            la[:a] = la_copy[i][:a]
            la[a:b] = _KNOWN_LLR * sync
            la[b:] = la_copy[i][a:]
            ext = np.zeros(n_pts - 1, dtype=np.float32)
            lrfhss_dsp.bcjr_differential(lam, la, ext)
            ext_copy[i] = np.concatenate([ext[:a], ext[b:]])
            total += flips[i] * ext_copy[i]
        coded = np.zeros(80, dtype=np.float32)
        coded[perm] = total
        lrfhss_dsp.bcjr_conv(coded, 40, code.k, _signs(code), True, ext_coded, app)
        raw = coding.bits_to_bytes((app > 0).astype(np.uint8))
        fields = HeaderFields.from_bytes(raw)
        if fields is not None:
            return fields, raw
        if it >= 2 and np.mean(np.abs(app) > 4.0) < 0.3:
            break  # not converging: noise, or too weak to matter
        out_air = ext_coded[perm]
        for i in range(len(lams)):
            others = total - flips[i] * ext_copy[i]
            la_copy[i] = np.clip(flips[i] * (out_air + others), -30, 30).astype(np.float32)
    return None, raw
