"""Mobitex / Mobitex-NX framing: (12,8) FEC, interleaved scrambled blocks, callsign CRC."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.hamming import decode12, encode12
from sdrlink.errors import ConfigError
from sdrlink.framing import mobitex

OPTS = {"modulation": "fsk", "baud": 4800, "framing": "Mobitex-NX"}


def test_hamming_12_8():
    data = np.arange(256)
    words = encode12(data)
    for pos in range(12):
        got, status = decode12(words ^ (1 << pos))
        assert (got == data).all() and (status == 1).all()
    _, status = decode12(words ^ 0b11)  # some double errors are detected
    assert (status == 2).any()


def test_scrambler_and_interleaver():
    seq = mobitex.scrambler_bits(511 + 20)
    assert seq[:9].tolist() == [1] * 9
    assert (seq[511 : 511 + 20] == seq[:20]).all()  # a 9-stage maximal-length sequence
    assert sorted(mobitex._DEINTERLEAVE.tolist()) == list(range(240))
    assert mobitex._DEINTERLEAVE[:3].tolist() == [0, 20, 40]


def test_callsign_correction():
    call = b"DP0BEE"
    crc = mobitex.CRC16_XMODEM.to_bytes(call, "big")
    assert mobitex.check_callsign(call, crc) == (call, 0)
    bad = bytes([call[0] ^ 0x04]) + call[1:5] + bytes([call[5] ^ 0x01])
    assert mobitex.check_callsign(bad, crc) == (call, 2)
    assert mobitex.check_callsign(bytes([call[0] ^ 0x07]) + call[1:], crc) is None


@pytest.mark.parametrize("callsign", ["DP0BEE", None])
@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_one_bit_per_codeword(callsign, flip, rng):
    data = rng.integers(0, 256, 18 * 4, dtype=np.uint8).tobytes()
    bits = mobitex.encode_frame(data, callsign)
    soft = soft_of(bits, rng)
    header = 16 + 8 * (11 if callsign else 3)
    for b in range(4):  # codeword c's bit r is on-air bit 20 r + c of its block
        for c in range(20):
            soft[500 + header + 240 * b + 20 * ((c + b) % 12) + c] *= -1
    soft[500 + 2] *= -1  # and a sync word error
    frames = deframe("mobitex_nx" if callsign else "beesat1", flip * soft, block=500)
    assert [f.payload for f in frames] == [data[18 * i : 18 * (i + 1)] for i in range(4)]
    f = frames[0]
    assert f.fields["fec_corrected"] == 20 and f.fields["num_blocks"] == 4
    assert f.fields["sync_errors"] == 1 and f.fields["inverted"] is (flip < 0)
    assert f.fields.get("callsign") == callsign
    assert all(g.start == 500 for g in frames)


def test_a_header_without_callsign_is_only_beesat1s(rng):
    """gr-satellites' variants: Mobitex(-NX) headers carry a callsign, BEESAT-1's not;
    trying both layouts everywhere let random bits through as frames."""
    data = rng.integers(0, 256, 18 * 2, dtype=np.uint8).tobytes()
    plain = soft_of(mobitex.encode_frame(data, None), rng)
    assert deframe("mobitex_nx", plain) == []
    assert len(deframe("BEESAT-1", plain)) == 2
    assert deframe("beesat1", soft_of(mobitex.encode_frame(data), rng)) == []


def test_beesat9_reads_32_blocks_whatever_the_control_byte_says(rng):
    data = rng.integers(0, 256, 18 * 32, dtype=np.uint8).tobytes()
    bits = mobitex.encode_frame(data)
    control = np.array([0x40, 0x00])  # "one block"
    fec = encode12(control) & 0xF
    head = bytes([0x40, 0x00, (int(fec[0]) << 4) | int(fec[1])])
    bits[16:40] = np.unpackbits(np.frombuffer(head, np.uint8))
    soft = soft_of(bits, rng)
    assert len(deframe("mobitex_nx", soft)) == 1
    frames = deframe("BEESAT-9", soft)
    assert [f.payload for f in frames] == [data[18 * i : 18 * (i + 1)] for i in range(32)]


def test_bad_block_is_dropped_alone(rng):
    data = rng.integers(0, 256, 18 * 3, dtype=np.uint8).tobytes()
    soft = soft_of(mobitex.encode_frame(data), rng)
    first = 500 + 16 + 88 + 240
    soft[first + np.array([0, 20])] *= -1  # two bits of one codeword of block 1: beyond the FEC
    frames = deframe("mobitex_nx", soft)
    assert [f.fields["block"] for f in frames] == [0, 2]


def test_mobitex_and_nx_sync_words(rng):
    data = bytes(range(18))
    assert deframe("mobitex", soft_of(mobitex.encode_frame(data, nx=False), rng))[0].payload == data
    assert deframe("mobitex", soft_of(mobitex.encode_frame(data, nx=True), rng)) == []
    with pytest.raises(ConfigError):
        encode_bits("mobitex", bytes(17))


@pytest.mark.parametrize("snr,cfo", [(7, 0), (8, 1500)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [rng.integers(0, 256, 18 * n, dtype=np.uint8).tobytes() for n in (1, 5)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    blocks = [p[i : i + 18] for p in payloads for i in range(0, len(p), 18)]
    assert [f.payload for f in frames] == blocks


def test_block_size_independent(rng):
    payloads = [bytes(range(36)), bytes(range(100, 154))]
    x = iq_bursts(OPTS, payloads, 10, 300, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 5 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    for name in ("mobitex", "mobitex_nx"):
        assert deframe(name, rng.standard_normal(300_000).astype(np.float32)) == []


# --- a known callsign (NANOFF's satellite descriptions give one) -----------------------------


def _with_callsign(data: bytes, call: str | None, rng, errors: int = 0) -> np.ndarray:
    bits = mobitex.encode_frame(data, callsign=call, nx=True)
    soft = soft_of(bits, rng)
    at = 500 + 16 + 24  # the callsign and its CRC: header bytes 3..10
    soft[at + rng.choice(64, errors, replace=False)] *= -1
    return soft


def test_known_callsign_is_matched_not_corrected(rng):
    opts = {"callsign": "DP0NFA"}
    data = rng.integers(0, 256, 36, dtype=np.uint8).tobytes()
    for errors in (0, 1, 2):
        got = deframe("mobitex_nx", _with_callsign(data, "DP0NFA", rng, errors), options=opts)
        assert [g.payload for g in got] == [data[:18], data[18:]]
        assert got[0].fields["callsign"] == "DP0NFA"
        assert got[0].fields["callsign_errors"] == errors
    assert deframe("mobitex_nx", _with_callsign(data, "DP0NFA", rng, 3), options=opts) == []
    # another satellite's frames (NANOFF-B, 8 bits away, on the same frequency) even with
    # errors towards this one, and headers without a callsign, are not this one's
    near = mobitex.encode_frame(data, callsign="DP0NFB", nx=True)
    want = np.unpackbits(np.frombuffer(mobitex._callsign_field("DP0NFA"), np.uint8))
    field = slice(16 + 24, 16 + 88)
    differ = np.flatnonzero(near[field] != want)
    assert len(differ) == 8
    near[field.start + differ[:5]] ^= 1  # 5 channel errors, all towards DP0NFA
    assert deframe("mobitex_nx", soft_of(near, rng), options=opts) == []
    assert deframe("mobitex_nx", _with_callsign(data, "DP0NFB", rng), options=opts) == []
    assert deframe("mobitex_nx", _with_callsign(data, None, rng), options=opts) == []
    # without the option every callsign is taken (within 2 corrected bits)
    got = deframe("mobitex_nx", _with_callsign(data, "DP0NFB", rng, 2))
    assert [g.payload for g in got] == [data[:18], data[18:]]
    assert got[0].fields["callsign"] == "DP0NFB" and got[0].fields["callsign_errors"] == 2
    assert deframe("mobitex_nx", _with_callsign(data, "DP0NFB", rng, 5)) == []


def test_callsign_option_from_the_catalogue(rng):
    from sdrlink.catalogue import find_satellite
    from sdrlink.protocols.fsk import make_params

    (tx, *_) = find_satellite("NANOFF-A").transmitters
    p = make_params(dict(tx.options))
    assert dict(p.framing_options)["callsign"] == "DP0NFA"
    for bad in ("TOOLONGCALL", "DÖ0ABC"):
        with pytest.raises(ConfigError, match="callsign"):
            make_params({"framing": "Mobitex-NX", "callsign": bad})
    opts = {"modulation": "fsk", "baud": 4800, "deviation": 1200, "framing": "Mobitex-NX"}
    data = [rng.integers(0, 256, 54, dtype=np.uint8).tobytes() for _ in range(2)]
    y = iq_bursts({**opts, "callsign": "DP0NFA"}, data, 10, 700, rng)  # the encoder sends it
    got = receive({**opts, "callsign": "DP0NFA"}, y, FS)
    assert [g.payload for g in got] == [d[i : i + 18] for d in data for i in (0, 18, 36)]
    assert receive({**opts, "callsign": "DP0NFB"}, y, FS) == []
