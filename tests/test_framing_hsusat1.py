"""HSU-SAT1 framing (1200 Bd AFSK): UART characters, K=3 code, scrambler, interleaver, CRC."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.coding.convolutional import conv_encode
from sdrlink.coding.crc import CRC16_X25
from sdrlink.errors import ConfigError
from sdrlink.framing import hsusat1
from sdrlink.protocols.fsk import make_params, modulate_audio

OPTS = {
    "modulation": "afsk",
    "baud": 1200,
    "af_carrier": 1700,
    "af_deviation": -500,
    "framing": "HSU-SAT1",
}


def _data(rng) -> bytes:
    return rng.integers(0, 256, 48, dtype=np.uint8).tobytes()


def test_scrambler_and_uart_facts():
    assert bytes(hsusat1.scrambler_bytes(3)) == b"\x0e\xf2\xc9"
    seq = np.unpackbits(hsusat1.scrambler_bytes(127 * 2))
    assert (seq[:1016] == seq[127 : 127 + 1016]).all()  # an m-sequence of period 127
    char_7e, char_01 = [0, 0, 1, 1, 1, 1, 1, 1, 0, 1], [0, 1, 0, 0, 0, 0, 0, 0, 0, 1]
    assert hsusat1.uart_frame(b"\x7e\x01").tolist() == char_7e + char_01
    assert hsusat1.SYNC[-10:].tolist() == hsusat1.uart_frame(b"\x7e").tolist()


def test_layout(rng):
    data = _data(rng)
    enc = encode_bits("HSU-SAT1", data)
    chars = enc.bits[enc.start + 33 : enc.start + 33 + 1180].reshape(118, 10)
    assert (chars[:, 0] == 0).all() and (chars[:, 9] == 1).all()
    raw = np.packbits(chars[:, 8:0:-1].ravel()).tobytes()
    assert raw[:16] == bytes(16)
    fec = np.frombuffer(raw[16:], np.uint8)
    # undo the interleaver (a bit transpose per 8 bytes) and the scrambler
    blocks = np.unpackbits(fec[:96]).reshape(12, 8, 8)[:, :, ::-1]  # [block, byte, bit weight]
    plain = np.packbits(blocks.transpose(0, 2, 1)[:, :, ::-1]).tobytes() + fec[96:].tobytes()
    coded = np.frombuffer(plain, np.uint8) ^ hsusat1.scrambler_bytes(102)
    info = np.unpackbits(np.frombuffer(data + CRC16_X25.to_bytes(data, "big") + b"\0", np.uint8))
    assert (np.unpackbits(coded) == conv_encode(info, hsusat1.CODE)).all()
    with pytest.raises(ConfigError):
        encode_bits("HSU-SAT1", data[:-1])


@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_corrects_noise(flip, rng):
    frames = [_data(rng), _data(rng)]
    parts = []
    for f in frames:
        enc = encode_bits("HSU-SAT1", f)
        s = soft_of(enc.bits, rng, sigma=0.6)
        at = 500 + enc.start
        s[at : at + 33] = 2.0 * enc.bits[enc.start : enc.start + 33] - 1
        s[at + np.array([2, 10, 19, 27])] *= -1  # 4 sync errors, as gr-satellites allows
        parts.append(s)
    got = deframe("hsu_sat1", flip * np.concatenate(parts), block=509)
    assert [g.payload for g in got] == frames
    for g in got:
        assert g.crc_ok and g.fields["inverted"] is (flip < 0) and g.fields["sync_errors"] == 4
        assert g.fields["viterbi_errors"] > 20 and g.fields["uart_errors"] > 0


def test_crc_is_checked(rng):
    data = _data(rng)
    wrong = bytearray(data + CRC16_X25.to_bytes(data, "big") + b"\0")
    wrong[20] ^= 0x08  # well coded, but not the data its CRC was made for
    coded = conv_encode(np.unpackbits(np.frombuffer(bytes(wrong), np.uint8)), hsusat1.CODE)
    fec = np.packbits((coded ^ np.unpackbits(hsusat1.scrambler_bytes(102)))[hsusat1._IDX])
    enc = encode_bits("HSU-SAT1", data)
    bits = enc.bits.copy()
    bits[enc.start + 33 : enc.start + 33 + 1180] = hsusat1.uart_frame(bytes(16) + fec.tobytes())
    assert deframe("hsu_sat1", soft_of(bits, rng)) == []
    assert [g.payload for g in deframe("hsu_sat1", soft_of(enc.bits, rng))] == [data]


# benchmarks/framing_sensitivity.py, 10x3 frames: 90 % at 8.7-9.3 dB (in 2 * (3000 + 2200) Hz)
@pytest.mark.parametrize("snr", [10.0, 12.0])
def test_afsk_roundtrip(snr, rng):
    frames = [_data(rng) for _ in range(3)]
    got = receive(OPTS, iq_bursts(OPTS, frames, snr, -1200, rng), FS, block=12_345)
    assert [f.payload for f in got] == frames


def test_audio_and_noise(rng):
    p = make_params(OPTS)
    frames = [_data(rng), _data(rng)]
    gap = np.zeros(2400, np.float32)
    a = np.concatenate(
        [gap] + [np.concatenate([modulate_audio(p, f, 48_000), gap]) for f in frames]
    )
    a = (0.4 * a + 0.1 * rng.standard_normal(len(a))).astype(np.float32)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, a, 48e3, bs)] for bs in (999, 8192)]
    assert [p for _, p in runs[0]] == frames and runs[0] == runs[1]
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("hsu_sat1", rng.standard_normal(400_000).astype(np.float32)) == []
    junk = np.sign(rng.standard_normal(400_000)).astype(np.float32) * 1e3
    assert deframe("hsu_sat1", junk, block=9999) == []
