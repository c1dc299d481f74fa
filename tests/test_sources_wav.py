"""WAV files: stereo IQ and mono audio in PCM 8/16/24/32 and float, bad headers."""

from __future__ import annotations

import datetime as dt
import struct
import wave

import numpy as np
import pytest

from sdrlink.errors import InputError
from sdrlink.sources.files import open_file


def _chunk(cid: bytes, body: bytes) -> bytes:
    return cid + struct.pack("<I", len(body)) + body + (b"\0" if len(body) % 2 else b"")


def _fmt(tag, channels, rate, bits, extensible=False):
    align = channels * bits // 8
    body = struct.pack(
        "<HHIIHH", 0xFFFE if extensible else tag, channels, rate, rate * align, align, bits
    )
    if extensible:
        guid_tail = b"\x00\x00\x00\x00\x10\x00\x80\x00\x00\xaa\x00\x38\x9b\x71"
        body += struct.pack("<HHI", 22, bits, 3 if channels == 2 else 4)
        body += struct.pack("<H", tag) + guid_tail
    return _chunk(b"fmt ", body)


def _wav(path, tag, channels, rate, bits, data: bytes, *, before=b"", after=b"", extensible=False):
    body = b"WAVE" + before + _fmt(tag, channels, rate, bits, extensible) + _chunk(b"data", data)
    body += after
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    return path


def _read(src, block_size=1000):
    blocks = list(src.blocks(block_size))
    assert [b.start for b in blocks] == list(range(0, src.info.num_samples, block_size))
    return np.concatenate([b.samples for b in blocks])


def _pcm16(rng, n, channels):
    return (rng.uniform(-0.9, 0.9, (n, channels)) * 32768).astype("<i2")


def test_stdlib_stereo_pcm16_is_iq(tmp_path, rng):
    pcm = _pcm16(rng, 4321, 2)
    with wave.open(str(tmp_path / "iq.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(2)
        w.setframerate(192000)
        w.writeframes(pcm.tobytes())
    src = open_file(tmp_path / "iq.wav")
    assert src.info.is_complex and src.info.sample_rate == 192000
    assert src.info.num_samples == 4321
    x = _read(src)
    np.testing.assert_array_equal(x, (pcm[:, 0] + 1j * pcm[:, 1]).astype(np.complex64) / 32768)


def test_stdlib_mono_pcm16_is_real(tmp_path, rng):
    pcm = _pcm16(rng, 3000, 1)[:, 0]
    with wave.open(str(tmp_path / "fm.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48000)
        w.writeframes(pcm.tobytes())
    src = open_file(tmp_path / "fm.wav")
    assert not src.info.is_complex and src.info.center_freq is None
    x = _read(src, 999)
    assert x.dtype == np.float32
    np.testing.assert_array_equal(x, pcm / np.float32(32768))


def test_stdlib_pcm8_unsigned(tmp_path):
    raw = np.array([0, 128, 255, 64], dtype=np.uint8)
    with wave.open(str(tmp_path / "a.wav"), "wb") as w:
        w.setnchannels(2)
        w.setsampwidth(1)
        w.setframerate(8000)
        w.writeframes(raw.tobytes())
    x = _read(open_file(tmp_path / "a.wav"))
    np.testing.assert_allclose(x, [-1 + 0j, 127 / 128 - 0.5j])


def test_pcm24(tmp_path, rng):
    vals = rng.integers(-(2**23), 2**23, size=2 * 500)
    vals[:4] = [-(2**23), 2**23 - 1, 0, -1]
    raw = vals.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    src = open_file(_wav(tmp_path / "a.wav", 1, 2, 96000, 24, raw))
    x = _read(src, 77)
    np.testing.assert_allclose(x.view(np.float32), vals / 2**23, rtol=1e-7)
    assert src.info.extra["wav_bits"] == 24


def test_pcm24_extensible(tmp_path):
    vals = np.array([1000, -1000, 2**22, -(2**22)])
    raw = vals.astype("<i4").view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    x = _read(open_file(_wav(tmp_path / "a.wav", 1, 1, 48000, 24, raw, extensible=True)))
    np.testing.assert_allclose(x, vals / 2**23)


def test_pcm32(tmp_path):
    vals = np.array([2**31 - 1, -(2**31), 2**30, 0], dtype="<i4")
    x = _read(open_file(_wav(tmp_path / "a.wav", 1, 2, 48000, 32, vals.tobytes())))
    np.testing.assert_allclose(x.view(np.float32), vals / 2**31)


@pytest.mark.parametrize("extensible", [False, True])
def test_float32_iq_with_extra_chunks(tmp_path, rng, extensible):
    iq = (rng.standard_normal(2000) + 1j * rng.standard_normal(2000)).astype(np.complex64) / 4
    path = _wav(
        tmp_path / "SDRSharp_20240105_093000Z_437500000Hz_IQ.wav",
        3,
        2,
        2_400_000,
        32,
        iq.tobytes(),
        before=_chunk(b"auxi", b"x" * 13),
        after=_chunk(b"LIST", b"INFO"),
        extensible=extensible,
    )
    src = open_file(path)
    assert src.info.sample_rate == 2.4e6 and src.info.is_complex
    assert src.info.center_freq == 437.5e6  # from the SDR# file name
    assert src.info.start_time == dt.datetime(2024, 1, 5, 9, 30, tzinfo=dt.timezone.utc)
    np.testing.assert_array_equal(_read(src, 333), iq)
    # options beat the name
    assert open_file(path, center_freq="145.9M").info.center_freq == 145.9e6


def test_float_wav_nan_reported(tmp_path):
    x = np.zeros(5000, np.float32)
    x[4444] = np.inf
    path = _wav(tmp_path / "a.wav", 3, 1, 48000, 32, x.tobytes())
    with pytest.raises(InputError, match=r"a\.wav.*sample 4444"):
        _read(open_file(path), 1000)


def test_float64(tmp_path):
    x = np.array([0.25, -0.5, 1.0], dtype="<f8")
    np.testing.assert_array_equal(
        _read(open_file(_wav(tmp_path / "a.wav", 3, 1, 8000, 64, x.tobytes()))),
        x.astype(np.float32),
    )


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b: b[:20], "truncated WAV header"),
        (lambda b: b[:8], "truncated WAV header"),
        (lambda b: b"RIFX" + b[4:], "not a RIFF/WAVE"),
        (lambda b: b"RF64" + b[4:], "RF64"),
        (lambda b: b[:-10], "declares 400 bytes but only 390 follow"),
        (lambda b: b[:-400], "declares 400 bytes but only 0 follow"),
        (lambda b: b[:12] + b"\x01\x02\x03\x04" + b[16:], "malformed WAV chunk"),
    ],
)
def test_bad_headers(tmp_path, mutate, message):
    good = _wav(tmp_path / "g.wav", 1, 2, 48000, 16, b"\0" * 400).read_bytes()
    (tmp_path / "b.wav").write_bytes(mutate(good))
    with pytest.raises(InputError, match=message) as err:
        open_file(tmp_path / "b.wav")
    assert "b.wav" in str(err.value)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1, 3, 48000, 16), "3 channels"),
        ((2, 1, 48000, 16), "unsupported WAV encoding"),  # ADPCM
        ((3, 1, 48000, 16), "unsupported WAV encoding"),  # 16-bit float
        ((1, 1, 48000, 12), "unsupported WAV encoding"),
        ((1, 1, 0, 16), "sample rate is 0"),
    ],
)
def test_unsupported_formats(tmp_path, args, message):
    with pytest.raises(InputError, match=message):
        open_file(_wav(tmp_path / "a.wav", *args, b"\0" * 48))


def test_data_before_fmt_and_odd_length(tmp_path):
    body = b"WAVE" + _chunk(b"data", b"\0" * 8) + _fmt(1, 1, 8000, 16)
    (tmp_path / "a.wav").write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    with pytest.raises(InputError, match="before 'fmt '"):
        open_file(tmp_path / "a.wav")
    with pytest.raises(InputError, match="not a multiple"):
        open_file(_wav(tmp_path / "b.wav", 1, 2, 8000, 16, b"\0" * 6))  # 1.5 stereo frames
    with pytest.raises(InputError, match="no samples"):
        open_file(_wav(tmp_path / "c.wav", 1, 2, 8000, 16, b""))
    (tmp_path / "d.wav").write_bytes(b"")
    with pytest.raises(InputError, match="truncated WAV header"):
        open_file(tmp_path / "d.wav")


def test_shared_recordings_are_mono_48k(shared_recordings):
    files = sorted(shared_recordings.glob("*.wav"))
    assert files
    for path in files:
        src = open_file(path)
        assert not src.info.is_complex, path.name
        assert src.info.sample_rate == 48000
        with wave.open(str(path)) as w:
            n = w.getnframes()
            first = np.frombuffer(w.readframes(100), "<i2")
        assert src.info.num_samples == n
        blocks = list(src.blocks(1 << 15))
        assert blocks[-1].stop == n and blocks[0].samples.dtype == np.float32
        np.testing.assert_array_equal(blocks[0].samples[:100], first / np.float32(32768))
