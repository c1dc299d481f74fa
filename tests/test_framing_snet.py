"""S-NET / SALSAT framing and the BCH(15,k) codes under it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from misc_framing_util import (
    FS,
    deframe,
    encode_bits,
    expected_frames,
    iq_bursts,
    noise_iq,
    receive,
    recording,
    soft_of,
    wav_audio,
)

from sdrlink.coding import bch
from sdrlink.errors import ConfigError
from sdrlink.framing import snet

OPTS = {
    "modulation": "afsk",
    "baud": 1200,
    "af_carrier": 1500,
    "af_deviation": -600,
    "framing": "S-NET",
}


def _polymod(a: int, g: int) -> int:
    dg = g.bit_length() - 1
    for i in range(a.bit_length() - 1, dg - 1, -1):
        if a >> i & 1:
            a ^= g << (i - dg)
    return a


@pytest.mark.parametrize("k", [11, 7, 5])
def test_bch_codes_are_cyclic_and_correct_t_errors(k, rng):
    g = bch.GENERATORS[k]
    assert g.bit_length() - 1 == 15 - k and _polymod((1 << 15) | 1, g) == 0
    data = rng.integers(0, 1 << k, 40)
    cw = bch.encode_words(data, k)
    assert ((cw >> (15 - k)) == data).all()
    t = bch.CORRECTS[k]
    for w in range(t + 1):
        for pos in itertools.islice(itertools.combinations(range(15), w), 0, None, 7):
            e = sum(1 << p for p in pos)
            fixed, errors = bch.decode_words(cw ^ e, k)
            assert (fixed == cw).all() and (errors == w).all()
    # t+1 errors are never "corrected" back to the sent codeword
    e = (1 << (t + 1)) - 1
    fixed, errors = bch.decode_words(cw ^ e, k)
    assert not (fixed == cw).any()


def test_bch_radius_table_is_exact():
    # the (15,11) code is perfect: every word decodes; (15,5) leaves words undecodable
    assert (bch.decode_words(np.arange(1 << 15), 11)[1] >= 0).all()
    assert (bch.decode_words(np.arange(1 << 15), 5)[1] < 0).sum() == 32768 - 32 * 576


@pytest.mark.parametrize("coding", [0, 1, 2, 3])
def test_deframer_all_codings_with_bit_errors(coding, rng):
    pdu = rng.integers(0, 256, 57, dtype=np.uint8).tobytes()
    bits = snet.encode_frame(pdu, coding=coding)
    soft = soft_of(bits, rng)
    if coding:
        # one wrong bit in every codeword of the first PDU block, one in the header
        for j in range(16):
            soft[500 + 32 + 210 + j + 16 * (j % 15)] *= -1
        soft[500 + 32 + 3] *= -1
    frames = deframe("snet", soft, block=333)
    assert [f.payload for f in frames] == [pdu]
    assert frames[0].fields["snet_coding"] == coding
    assert frames[0].fields["bch_corrected"] == (17 if coding else 0)
    assert frames[0].start == 500 and frames[0].stop == 500 + len(bits)


def test_crc_variants_differ(rng):
    pdu = b"SALSAT and S-NET share the framing, not the CRC bugs"
    for framing, buggy in (("snet", True), ("salsat", False)):
        soft = soft_of(snet.encode_frame(pdu, buggy=buggy), rng)
        assert [f.payload for f in deframe(framing, soft)] == [pdu]
        assert deframe("salsat" if buggy else "snet", soft) == []
    assert snet.crc13(pdu, True) != snet.crc13(pdu, False)


def test_uncorrectable_or_bad_crc_gives_nothing(rng):
    pdu = rng.integers(0, 256, 30, dtype=np.uint8).tobytes()
    soft = soft_of(snet.encode_frame(pdu, buggy=False), rng)
    bad = soft.copy()
    bad[500 + 32 + 210 + np.array([0, 16, 32])] *= -1  # 3 errors in one BCH(15,7) codeword
    assert deframe("salsat", bad) == []
    # a corrected-looking PDU with a wrong CRC-13: change a data bit consistently
    frame = snet.encode_frame(pdu[:-1] + bytes([pdu[-1] ^ 1]), buggy=False)
    frame[32:242] = snet.encode_frame(pdu, buggy=False)[32:242]  # header of the original
    assert deframe("salsat", soft_of(frame, rng)) == []


def test_faulty_crc13_matches_most_pdus_so_snet_frames_are_unchecked(rng):
    pdus = [rng.integers(0, 256, 200, dtype=np.uint8).tobytes() for _ in range(200)]
    values = [snet.crc13(p, True) for p in pdus]
    common = max(set(values), key=values.count)
    assert len(set(values)) <= 4 and values.count(common) > 0.6 * len(pdus)
    assert len({snet.crc13(p, False) for p in pdus}) > 190  # SALSAT's is a CRC
    for framing, buggy, check in (("snet", True, None), ("salsat", False, True)):
        frames = deframe(framing, soft_of(snet.encode_frame(pdus[0], buggy=buggy), rng))
        assert [(f.payload, f.crc_ok) for f in frames] == [(pdus[0], check)]


def test_padding_other_than_0xdb_gives_nothing(rng):
    pdu = rng.integers(0, 256, 30, dtype=np.uint8).tobytes()  # BCH(15,7) blocks of 14 bytes
    for framing, buggy in (("snet", True), ("salsat", False)):
        good = snet.encode_frame(pdu, buggy=buggy)
        # the same frame with its 12 padding bytes 0x00: header and PDU unchanged
        bad = snet.encode_frame(pdu + bytes(12), buggy=buggy)
        bad[32:242] = good[32:242]
        assert [f.payload for f in deframe(framing, soft_of(good, rng))] == [pdu]
        assert deframe(framing, soft_of(bad, rng)) == []


@pytest.mark.parametrize("snr,cfo", [(8, 0), (9, 2000)])
def test_iq_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, n, dtype=np.uint8).tobytes() for n in (14, 40)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads
    assert all(f.crc_ok is None for f in frames)  # S-NET's CRC-13 is no check


def test_block_size_independent(rng):
    payloads = [bytes(range(20)), bytes(range(30, 60))]
    x = iq_bursts(OPTS, payloads, 12, 300, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    for framing in ("snet", "salsat"):
        assert deframe(framing, rng.standard_normal(300_000).astype(np.float32)) == []


def test_encoder_limits():
    with pytest.raises(ConfigError):
        encode_bits("snet", b"")
    with pytest.raises(ConfigError):
        snet.encode_frame(b"x", coding=4)


@pytest.mark.shared
def test_recording(shared_recordings):
    meta, path = recording(shared_recordings, "snet_a")
    fs, x = wav_audio(path)
    frames = receive(OPTS, x, fs)
    assert expected_frames(meta) <= {f.payload for f in frames}
    assert all(f.crc_ok is None and f.fields["bch_corrected"] == 0 for f in frames)
