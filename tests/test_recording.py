"""sdrlink.recording (Recording, open_recording) and sdrlink.dataframe."""

from __future__ import annotations

import datetime as dt
import sys

import numpy as np
import pytest

from sdrlink.errors import ConfigError, InputError
from sdrlink.frame import Frame
from sdrlink.recording import Recording, open_recording
from sdrlink.sources.writer import SigMFWriter

FS = 250e3
T0 = dt.datetime(2025, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


def _samples(n: int, rng: np.random.Generator) -> np.ndarray:
    x = rng.standard_normal((2, n)).astype(np.float32) * 0.3
    return (x[0] + 1j * x[1]).astype(np.complex64)


@pytest.fixture
def sigmf(tmp_path, rng):
    x = _samples(100_000, rng)
    base = tmp_path / "rec"
    with SigMFWriter(base, sample_rate=FS, center_freq=868.1e6, start_time=T0) as w:
        w.write(x[:60_000])
        w.write(x[60_000:])
        w.add_annotation(20_000, 5_000, label="burst", freq_lower=868.09e6, freq_upper=868.11e6)
        w.add_annotation(1_000, 500, label="early")
    return base.with_name("rec.sigmf-meta"), x


def test_recording_metadata_from_sigmf(sigmf):
    meta, x = sigmf
    rec = open_recording(meta)
    assert rec.sample_rate == FS
    assert rec.center_freq == 868.1e6
    assert rec.start_time == T0
    assert rec.num_samples == len(rec) == 100_000
    assert rec.duration == pytest.approx(0.4)
    assert rec.datatype == "cf32_le" and rec.is_complex and rec.format == "sigmf"
    assert [a["core:label"] for a in rec.annotations] == ["early", "burst"]
    assert rec.time_of(250_000) == T0 + dt.timedelta(seconds=1)
    text = repr(rec)
    for part in ("rec.sigmf-meta", "250 kS/s", "868.1 MHz", "2025-03-01T12:00:00Z", "0.400 s"):
        assert part in text
    assert "2 annotations" in text


def test_recording_lazy_access_matches_data(sigmf):
    meta, x = sigmf
    rec = open_recording(meta)
    np.testing.assert_array_equal(rec.samples(12_345, 1000), x[12_345:13_345])
    np.testing.assert_array_equal(rec.samples(99_990), x[99_990:])  # to the end
    np.testing.assert_array_equal(rec.samples(99_990, 50), x[99_990:])  # cut short
    np.testing.assert_array_equal(rec.at(0.1, 0.002), x[25_000:25_500])
    np.testing.assert_array_equal(rec.at(T0 + dt.timedelta(seconds=0.2), 0.001), x[50_000:50_250])
    np.testing.assert_array_equal(rec[10:20], x[10:20])
    np.testing.assert_array_equal(rec[-5:], x[-5:])
    np.testing.assert_array_equal(rec[100:200:7], x[100:200:7])
    np.testing.assert_array_equal(rec[200:100:-3], x[200:100:-3])
    assert rec[7] == x[7] and rec[-1] == x[-1]
    assert len(rec[5:5]) == 0


def test_recording_blocks_are_bounded_and_complete(sigmf):
    meta, x = sigmf
    rec = open_recording(meta)
    blocks = list(rec.blocks(30_000, start=5_000, stop=95_000))
    assert [b.start for b in blocks] == [5_000, 35_000, 65_000]
    assert max(len(b.samples) for b in blocks) == 30_000
    np.testing.assert_array_equal(np.concatenate([b.samples for b in blocks]), x[5_000:95_000])


def test_recording_open_source_streams_whole_file(sigmf):
    meta, x = sigmf
    rec = open_recording(meta)
    for _ in range(2):  # a fresh source every time
        with rec.open_source() as src:
            assert src.info.sample_rate == FS and src.info.center_freq == 868.1e6
            got = np.concatenate([b.samples for b in src.blocks(7_000)])
        np.testing.assert_array_equal(got, x)


def test_recording_raw_file_needs_rate_and_scales(tmp_path):
    iq = np.array([0, 255, 128, 127, 255, 0], dtype=np.uint8)
    path = tmp_path / "dump.cu8"
    path.write_bytes(iq.tobytes())
    with pytest.raises(ConfigError, match="rate"):
        open_recording(path)
    rec = open_recording(path, sample_rate="2.4M", center_freq="433.9M")
    assert rec.sample_rate == 2.4e6 and rec.center_freq == 433.9e6 and len(rec) == 3
    expect = (iq.astype(np.float32) - 127.5) / 127.5
    np.testing.assert_allclose(rec.samples().view(np.float32), expect, atol=1e-6)
    assert rec.datatype == "cu8"
    with rec.open_source() as src:
        np.testing.assert_array_equal(next(iter(src.blocks())).samples, rec.samples())


def test_recording_bad_requests_raise_clear_errors(sigmf, tmp_path):
    meta, _ = sigmf
    rec = open_recording(meta)
    with pytest.raises(ConfigError, match="outside"):
        rec.samples(200_000, 10)
    with pytest.raises(ConfigError, match="count"):
        rec.samples(0, -1)
    with pytest.raises(IndexError):
        rec[100_000]
    with pytest.raises(TypeError):
        rec["a"]
    with pytest.raises(InputError, match="not found"):
        open_recording(tmp_path / "missing.sigmf-meta")


def test_recording_from_array_real_and_complex(rng):
    audio = rng.standard_normal(48_000).astype(np.float32)
    rec = Recording.from_array(audio, 48e3)
    assert not rec.is_complex and rec.datatype == "float32" and rec.format == "array"
    np.testing.assert_array_equal(rec.at(0.5, 0.1), audio[24_000:28_800])
    assert "in-memory" in repr(rec) and "48 kS/s" in repr(rec)
    with rec.open_source() as src:
        got = np.concatenate([b.samples for b in src.blocks(10_000)])
    np.testing.assert_array_equal(got, audio)
    with pytest.raises(ConfigError, match="start time"):
        rec.at(T0, 0.1)


def _frames() -> list[Frame]:
    return [
        Frame("lora", 1000, b"hi\x00", True, 120.5, 7.25, T0, 868.1e6, {"sf": 9, "cr": 1}),
        Frame("lora", 5000, b"\xff", False, -80.0, 1.0, None, None, {"sf": 10, "snr_db": 3}),
    ]


def test_frames_to_dataframe_columns_and_values():
    pd = pytest.importorskip("pandas")
    from sdrlink.dataframe import COLUMNS, frames_to_dataframe

    df = frames_to_dataframe(_frames())
    assert list(df.columns[: len(COLUMNS)]) == COLUMNS
    assert list(df["sample_index"]) == [1000, 5000]
    assert list(df["payload_hex"]) == ["686900", "ff"]
    assert list(df["text"]) == ["hi.", "."]
    assert list(df["crc_ok"]) == [True, False]
    assert list(df["sf"]) == [9, 10]
    assert df["field_snr_db"].iloc[1] == 3  # clashes with the frame's own snr_db
    assert df["time"].iloc[0] == pd.Timestamp("2025-03-01T12:00:00Z")
    assert pd.isna(df["time"].iloc[1])
    assert len(frames_to_dataframe([])) == 0


def test_frames_to_dataframe_without_pandas(monkeypatch):
    from sdrlink.dataframe import frames_to_dataframe

    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="pip install pandas"):
        frames_to_dataframe(_frames())


def test_decode_accepts_a_recording(tmp_path, rng):
    import sdrlink.protocols.lora as lora
    from sdrlink import channel
    from sdrlink.api import decode

    params = lora.LoRaParams(sf=7, bw=125e3)
    fs = 250e3
    payloads = [b"first frame", b"second"]
    x = np.zeros(int(0.3 * fs), np.complex64)
    starts = [5_000, 40_000]
    for s, p in zip(starts, payloads, strict=True):
        w = lora.modulate(params, p, fs)
        x[s : s + len(w)] += w
    y = channel.channel(x, fs, snr_db=5, signal_bw=125e3, cfo_hz=2e3, rng=rng)
    with SigMFWriter(tmp_path / "lora", sample_rate=fs, center_freq=868e6, start_time=T0) as w:
        w.write(y)
    rec = open_recording(tmp_path / "lora.sigmf-meta")
    frames = decode(rec, "lora", sf=7, bw=125e3)
    assert [f.payload for f in frames] == payloads
    assert [f.sample_index for f in frames] == pytest.approx(starts, abs=4)
    expect = T0 + dt.timedelta(seconds=frames[0].sample_index / fs)
    assert frames[0].time == expect
    assert [f.payload for f in rec.decode("lora", sf=7, bw=125e3)] == payloads


def test_recording_reads_wav_and_sigmf_archive_in_place(tmp_path, sigmf, rng):
    import tarfile
    import wave

    pcm = (rng.standard_normal(30_000) * 3000).astype("<i2")
    with wave.open(str(tmp_path / "pass.wav"), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(48_000)
        w.writeframes(pcm.tobytes())
    rec = open_recording(tmp_path / "pass.wav")
    assert rec.format == "wav" and not rec.is_complex and rec.sample_rate == 48e3
    np.testing.assert_allclose(rec.samples(1234, 100), pcm[1234:1334] / 32768.0, rtol=1e-6)

    meta, x = sigmf
    archive = tmp_path / "rec.sigmf"
    with tarfile.open(archive, "w") as tar:
        tar.add(meta, arcname="rec/rec.sigmf-meta")
        tar.add(meta.with_name("rec.sigmf-data"), arcname="rec/rec.sigmf-data")
    rec = open_recording(archive)
    assert rec.center_freq == 868.1e6 and len(rec) == len(x)
    np.testing.assert_array_equal(rec.samples(54_321, 777), x[54_321:55_098])
    np.testing.assert_array_equal(rec[-3:], x[-3:])


def test_recording_open_source_keeps_source_attributes(sigmf):
    meta, _ = sigmf
    rec = open_recording(meta)
    with rec.open_source() as src:
        assert str(getattr(src, "meta_path", meta)) == str(meta)  # where --annotate writes
        src.info.center_freq = 1.0  # a source's info is its own
    assert rec.center_freq == 868.1e6


def test_decode_runs_the_stages_it_is_given(rng):
    """``stages=`` reaches the pipeline: a stage that removes a known offset shows in the frames."""
    import sdrlink.protocols.lora as lora
    from sdrlink import channel
    from sdrlink.api import decode
    from sdrlink.blocks import SampleBlock
    from sdrlink.dsp.nco import Nco
    from sdrlink.pipeline import Stage

    fs, offset = 250e3, 30e3

    class Shift(Stage):
        def __init__(self) -> None:
            self.nco = Nco(fs, offset)

        def process(self, block: SampleBlock) -> SampleBlock:
            return SampleBlock(self.nco.mix(block.samples), block.start)

    w = lora.modulate(lora.LoRaParams(sf=7, bw=125e3), b"staged", fs)
    x = np.concatenate([np.zeros(3000, np.complex64), w, np.zeros(3000, np.complex64)])
    y = channel.channel(x, fs, snr_db=10, signal_bw=125e3, cfo_hz=offset + 500.0, rng=rng)
    plain = decode(y, "lora", sample_rate=fs, sf=7, bw=125e3)
    shifted = decode(y, "lora", sample_rate=fs, sf=7, bw=125e3, stages=[Shift()])
    assert [f.payload for f in plain] == [f.payload for f in shifted] == [b"staged"]
    assert plain[0].freq_offset_hz == pytest.approx(offset + 500.0, abs=200)
    assert shifted[0].freq_offset_hz == pytest.approx(500.0, abs=200)
