"""LR-FHSS line coding, hop sequences and decoding kernels.

The hop sequences and the frame bits are checked against the independent
``lrfhss`` package (its encoder's hop frequencies and waveform), the rest
against properties that any correct implementation has.
"""

from __future__ import annotations

import lrfhss
import numpy as np
import pytest
from lrfhss import config

from sdrlink._ext import lrfhss_dsp
from sdrlink.errors import ConfigError
from sdrlink.protocols.lrfhss import coding, fec, hopping
from sdrlink.protocols.lrfhss.coding import HeaderFields
from sdrlink.protocols.lrfhss.modulator import frame_layout, modulate
from sdrlink.protocols.lrfhss.params import LrFhssParams, make_params, normalize_options

BW_KHZ = (39.06, 85.94, 136.72, 183.59, 335.94, 386.72, 722.66, 773.44, 1523.4, 1574.2)


@pytest.mark.parametrize(
    ("bw", "grid", "hc", "hop_id"),
    [(0, 1, 1, 5), (2, 1, 3, 77), (2, 1, 2, 383), (4, 1, 4, 511), (6, 0, 3, 200), (9, 1, 2, 300)],
)
def test_hop_frequencies_match_the_independent_encoder(bw, grid, hc, hop_id):
    config.retune(BW_KHZ[bw] * 1e3)
    _, meta = lrfhss.encode(
        b"hop sequence test", bw_khz=BW_KHZ[bw], CR=3, header_count=hc, grid=grid, hop_seq_id=hop_id
    )
    p = LrFhssParams(bw=bw, cr=3, grid=grid, header_count=hc, hop_seq_id=hop_id)
    mine = [h.freq_hz for h in frame_layout(p, len(b"hop sequence test"))]
    np.testing.assert_allclose(mine, meta["hop_freqs_hz"], atol=1e-6)


def test_payload_fragments_match_the_independent_encoder():
    """The fragments' waveform (whitening, CRC, code, puncturing, interleaving) is theirs."""
    config.retune(136.72e3)
    payload = bytes(range(40))
    iq, meta = lrfhss.encode(payload, bw_khz=136.72, CR=1, header_count=2, grid=1, hop_seq_id=9)
    fs = meta["fs"]
    mine = modulate(LrFhssParams(bw=2, cr=1, grid=1, header_count=2, hop_seq_id=9), payload, fs)
    starts = np.cumsum([0] + meta["slot_lens"])
    lag = int(round(2 * fs / hopping.BIT_RATE))  # their blocks start two bits before ours
    for h in range(2, len(meta["slot_lens"]) - 1):
        a = iq[starts[h] : starts[h + 1]]
        b = mine[starts[h] + lag : starts[h] + lag + len(a)]
        assert abs(np.vdot(b, a)) / len(a) > 0.95, h


def test_header_fields_round_trip_and_crc():
    f = HeaderFields(length=200, cr=2, grid=0, hopping=True, bw=8, hop_seq_id=345, index=1)
    raw = f.to_bytes()
    assert HeaderFields.from_bytes(raw) == f
    for bit in range(40):
        bad = bytearray(raw)
        bad[bit // 8] ^= 0x80 >> (bit % 8)
        assert HeaderFields.from_bytes(bytes(bad)) is None


def test_whitening_inverts_and_changes_the_bytes():
    data = bytes(range(256))[:255]
    w = coding.whiten(data)
    assert w != data
    assert coding.dewhiten(w) == data


def test_interleavers_are_permutations():
    assert sorted(coding.header_interleaver()) == list(range(80))
    for n in (1, 57, 112, 183, 2097, 6198):
        assert sorted(coding.payload_interleaver(n)) == list(range(n))


@pytest.mark.parametrize("cr", [0, 1, 2, 3])
def test_sent_bits_match_the_time_on_air_formula(cr):
    # Semtech's length formula (lr_fhss_get_bit_and_hop_count), independent of the pattern
    for length in (1, 16, 100, 255):
        n = 8 * (length + 2) + 6
        expect = {0: (6 * n + 4) // 5, 1: 3 * n // 2, 2: 2 * n, 3: 3 * n}[cr]
        assert coding.payload_coded_bits(length, cr) == expect


@pytest.mark.parametrize("cr", [0, 1, 2, 3])
def test_payload_viterbi_corrects_errors(cr, rng):
    payload = bytes(rng.integers(0, 256, 30, dtype=np.uint8))
    sent = coding.encode_payload(payload, cr)
    soft = (2.0 * sent - 1.0).astype(np.float32)
    flips = rng.choice(len(soft), size=len(soft) // 40, replace=False)
    soft[flips] *= -1
    res = fec.decode_payload(soft, 30, cr)
    assert res.crc_ok and res.payload == payload
    soft[:] = 0  # nothing received: no valid CRC
    assert not fec.decode_payload(soft, 30, cr).crc_ok


def test_header_tail_biting_decoding_and_copy_differences():
    f = HeaderFields(length=16, cr=3, grid=1, hopping=True, bw=2, hop_seq_id=77, index=2)
    g = HeaderFields(length=16, cr=3, grid=1, hopping=True, bw=2, hop_seq_id=77, index=0)
    sync = bytes.fromhex("2C0F7995")
    a = fec.header_soft_from_block(coding.header_block(f, sync))
    b = fec.header_soft_from_block(coding.header_block(g, sync))
    assert fec.decode_header((2.0 * a - 1.0).astype(np.float32))[0] == f
    np.testing.assert_array_equal(a ^ b, fec.header_difference(2, 0))


def test_bcjr_differential_matches_exact_posteriors(rng):
    """Extrinsic LLRs of a = r_p r_(p-1) equal brute-force marginals on a short chain."""
    n = 6
    lam = rng.normal(0, 2, n + 1).astype(np.float32)
    la = rng.normal(0, 1, n).astype(np.float32)
    ext = np.zeros(n, dtype=np.float32)
    lrfhss_dsp.bcjr_differential(lam, la, ext)
    signs = np.array(np.meshgrid(*[[-1, 1]] * (n + 1), indexing="ij")).reshape(n + 1, -1).T
    a = signs[:, 1:] * signs[:, :-1]
    logp = 0.5 * signs @ lam + 0.5 * a @ la
    for k in range(n):
        others = logp - 0.5 * a[:, k] * la[k]
        num = np.logaddexp.reduce(others[a[:, k] == 1])
        den = np.logaddexp.reduce(others[a[:, k] == -1])
        assert ext[k] == pytest.approx(num - den, abs=1e-4)


def test_turbo_beats_one_pass_at_low_snr(rng):
    """Iterating between the GMSK sign chain and the code gains several dB."""
    ok_one = ok_turbo = 0
    sigma2 = 1 / (2 * 10 ** (-2.0 / 10))  # -2 dB in 488 Hz
    for _ in range(20):
        payload = bytes(rng.integers(0, 256, 16, dtype=np.uint8))
        sent = coding.encode_payload(payload, 3)
        pts = []
        for s in range(0, len(sent), 48):
            r = np.cumprod(np.concatenate([[1.0], 2.0 * sent[s : s + 48] - 1]))
            pts.append((2 * (r + rng.normal(0, np.sqrt(sigma2), len(r))) / sigma2).astype("f4"))
        ok_one += fec.turbo_payload(pts, 16, 3, iterations=1).payload == payload
        ok_turbo += fec.turbo_payload(pts, 16, 3).payload == payload
    assert ok_one <= 6
    assert ok_turbo >= 15


def test_options_parse_and_refuse():
    assert normalize_options({"dr": 8}) == {"dr": [8], "ocw": [2], "cr": [3]}
    assert normalize_options({"ocw": "1.523M", "cr": "2/3,1/3"})["cr"] == [1, 3]
    p = make_params({"dr": 5, "region": "us915"})
    assert (p.bw, p.cr, p.grid, p.header_count) == (8, 3, 0, 3)
    assert make_params(normalize_options({"dr": 9})) == make_params({"dr": 9})
    for bad in ({"ocw": "100k"}, {"cr": "4/5"}, {"dr": 3}, {"grid": 0, "ocw": "137k"}, {"x": 1}):
        with pytest.raises(ConfigError):
            make_params(bad)
    with pytest.raises(ConfigError):
        hopping.hop_positions(2, 1, 400, 4)  # narrow channels have 384 sequences
