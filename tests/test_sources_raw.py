"""Raw IQ dumps (cu8, cs8, cs16, cf32), format detection and parse_si."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from sdrlink.errors import ConfigError, InputError
from sdrlink.sources import open_source
from sdrlink.sources.files import open_file, parse_si


def _read_all(src, block_size=65536):
    blocks = list(src.blocks(block_size))
    for a, b in zip(blocks, blocks[1:], strict=False):
        assert b.start == a.stop
    assert blocks[0].start == 0
    return np.concatenate([b.samples for b in blocks]), blocks


@pytest.fixture
def iq(rng):
    n = 5003
    return (0.5 * (rng.standard_normal(n) + 1j * rng.standard_normal(n)) / 3).astype(np.complex64)


def test_cu8_reads_rtl_sdr_convention(tmp_path):
    raw = np.array([0, 255, 127, 128, 64, 191], dtype=np.uint8)
    path = tmp_path / "dump.cu8"
    raw.tofile(path)
    src = open_file(path, sample_rate="1.024M", center_freq="436.7M")
    x, _ = _read_all(src)
    assert src.info.sample_rate == 1.024e6
    assert src.info.center_freq == pytest.approx(436.7e6)
    assert src.info.is_complex and src.info.num_samples == 3
    expect = (raw.astype(np.float64) - 127.5) / 127.5
    np.testing.assert_allclose(x.view(np.float32), expect, rtol=1e-6)
    assert x.dtype == np.complex64


def test_cs8_and_cs16_scaling(tmp_path):
    raw8 = np.array([-128, 127, 0, 64], dtype=np.int8)
    raw8.tofile(tmp_path / "a.cs8")
    x, _ = _read_all(open_file(tmp_path / "a.cs8", sample_rate=2e6))
    np.testing.assert_allclose(x.view(np.float32), raw8 / 128.0)
    raw16 = np.array([-32768, 32767, 100, -5], dtype="<i2")
    raw16.tofile(tmp_path / "a.cs16")
    x, _ = _read_all(open_file(tmp_path / "a.cs16", sample_rate=2e6))
    np.testing.assert_allclose(x.view(np.float32), raw16 / 32768.0)
    np.testing.assert_array_equal(x, (raw16[0::2] + 1j * raw16[1::2]).astype(np.complex64) / 32768)


@pytest.mark.parametrize("ext", [".cf32", ".cfile", ".raw"])
def test_cf32_extensions(tmp_path, iq, ext):
    path = tmp_path / f"rec{ext}"
    iq.tofile(path)
    x, _ = _read_all(open_source(str(path), sample_rate=250e3))
    np.testing.assert_array_equal(x, iq)


def test_fmt_overrides_extension(tmp_path):
    np.array([0, 255], dtype=np.uint8).tofile(tmp_path / "capture.bin")
    with pytest.raises(InputError, match="unknown file type"):
        open_file(tmp_path / "capture.bin", sample_rate=1e6)
    x, _ = _read_all(open_file(tmp_path / "capture.bin", fmt="cu8", sample_rate=1e6))
    np.testing.assert_allclose(x, [-1 + 1j])


@pytest.mark.parametrize("block", [1, 7, 1000, 65536, 10_000_000])
def test_block_size_does_not_change_stream(tmp_path, iq, block):
    path = tmp_path / "r.cf32"
    iq.tofile(path)
    x, blocks = _read_all(open_file(path, sample_rate=1e6), block)
    np.testing.assert_array_equal(x, iq)
    assert all(len(b.samples) == block for b in blocks[:-1])
    assert 0 < len(blocks[-1].samples) <= block
    assert blocks[-1].stop == len(iq)


def test_overrides_and_start_time(tmp_path, iq):
    iq.tofile(tmp_path / "r.cf32")
    t = dt.datetime(2026, 3, 1, 12, 0, 0)
    src = open_file(tmp_path / "r.cf32", sample_rate="250k", start_time=t)
    assert src.info.start_time == t.replace(tzinfo=dt.timezone.utc)
    assert src.info.time_of(250_000) == dt.datetime(2026, 3, 1, 12, 0, 1, tzinfo=dt.timezone.utc)
    src = open_file(tmp_path / "r.cf32", sample_rate=1e6, start_time="2026-03-01T12:00:00.5Z")
    assert src.info.start_time.microsecond == 500_000


def test_raw_needs_sample_rate(tmp_path, iq):
    iq.tofile(tmp_path / "r.cf32")
    with pytest.raises(ConfigError, match="sample rate"):
        open_file(tmp_path / "r.cf32")
    with pytest.raises(ConfigError, match="positive"):
        open_file(tmp_path / "r.cf32", sample_rate=0)


def test_odd_byte_count(tmp_path):
    (tmp_path / "r.cs16").write_bytes(b"\x00" * 10)  # 2.5 samples of 4 bytes
    with pytest.raises(InputError, match=r"r\.cs16.*not a multiple of the 4-byte"):
        open_file(tmp_path / "r.cs16", sample_rate=1e6)


def test_empty_and_missing(tmp_path):
    (tmp_path / "e.cu8").write_bytes(b"")
    with pytest.raises(InputError, match=r"e\.cu8.*empty"):
        open_file(tmp_path / "e.cu8", sample_rate=1e6)
    with pytest.raises(InputError, match=r"nope\.cu8"):
        open_file(tmp_path / "nope.cu8", sample_rate=1e6)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_sample_reported_with_index(tmp_path, iq, bad):
    x = iq.copy()
    x[4321] = complex(0.1, bad)
    x.tofile(tmp_path / "r.cf32")
    src = open_file(tmp_path / "r.cf32", sample_rate=1e6)
    with pytest.raises(InputError, match=r"r\.cf32.*sample 4321"):
        _read_all(src, 1000)


def test_huge_finite_samples_are_not_mistaken_for_infinite(tmp_path):
    # their sum overflows float32 (the quick check), every value is finite
    x = np.full(5000, complex(3e38, -3e38), dtype=np.complex64)
    x.tofile(tmp_path / "r.cf32")
    got, _ = _read_all(open_file(tmp_path / "r.cf32", sample_rate=1e6), 1000)
    np.testing.assert_array_equal(got, x)


def test_blocks_are_writable_arrays(tmp_path, iq):
    iq.tofile(tmp_path / "r.cf32")
    block = next(open_file(tmp_path / "r.cf32", sample_rate=1e6).blocks(100))
    block.samples *= 2  # consumers may work in place
    np.testing.assert_array_equal(block.samples, 2 * iq[:100])


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("250k", 250e3),
        ("1.024M", 1.024e6),
        ("436.7M", 436.7e6),
        ("2.4G", 2.4e9),
        ("48000", 48000.0),
        ("2e6", 2e6),
        ("-3.5k", -3500.0),
        (" 145.8 MHz ", 145.8e6),
        (1000, 1000.0),
    ],
)
def test_parse_si(text, value):
    assert parse_si(text) == pytest.approx(value)


@pytest.mark.parametrize("text", ["", "abc", "1.2.3M", "10 X", "nan", "inf", "M"])
def test_parse_si_rejects(text):
    with pytest.raises(ConfigError):
        parse_si(text)
