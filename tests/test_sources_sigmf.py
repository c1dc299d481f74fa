"""SigMF reading (pairs and archives), the SigMF writer and annotations."""

from __future__ import annotations

import datetime as dt
import io
import json
import tarfile

import numpy as np
import pytest

from sdrlink.errors import ConfigError, InputError
from sdrlink.sources import open_source
from sdrlink.sources.files import open_file
from sdrlink.sources.writer import SigMFWriter, add_annotations

T0 = dt.datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=dt.timezone.utc)
DATATYPES = ["cf32_le", "ci16_le", "ci8", "cu8", "rf32_le", "ri16_le"]
# worst-case round-trip error per datatype (half a quantisation step)
TOLERANCE = {
    "cf32_le": 0,
    "rf32_le": 0,
    "ci16_le": 0.5 / 32768,
    "ri16_le": 0.5 / 32768,
    "ci8": 0.5 / 128,
    "cu8": 0.5 / 127.5,
}


def _signal(rng, n, real=False):
    x = np.exp(2j * np.pi * 0.01 * np.arange(n)) * 0.9 * rng.uniform(0.1, 1, n)
    return x.real.astype(np.float32) if real else x.astype(np.complex64)


def _read(src, block_size=4096):
    blocks = list(src.blocks(block_size))
    assert [b.start for b in blocks] == list(range(0, src.info.num_samples, block_size))
    return np.concatenate([b.samples for b in blocks])


def _write(base, x, **kw):
    kw.setdefault("sample_rate", 250e3)
    with SigMFWriter(base, **kw) as w:
        w.write(x[: len(x) // 3])
        w.write(x[len(x) // 3 :])
    return w


def test_float64_beyond_float32_is_a_clear_error_without_a_warning(tmp_path):
    # cf64 data are read as complex64: a value float32 cannot hold is reported as
    # such (with its sample), not as a NumPy overflow warning and an "infinite" value
    x = np.full(300, 0.5 + 0.5j, np.complex128)
    x[123] = 1e300 + 0j
    x.tofile(tmp_path / "big.sigmf-data")
    meta = {"global": {"core:datatype": "cf64_le", "core:sample_rate": 1e6}, "captures": []}
    (tmp_path / "big.sigmf-meta").write_text(json.dumps(meta))
    src = open_file(tmp_path / "big.sigmf-meta")
    with np.errstate(over="raise"):  # a cast that overflows unguarded raises here
        with pytest.raises(InputError, match=r"out-of-range value at sample 123"):
            for _ in src.blocks(100):
                pass


@pytest.mark.parametrize("datatype", DATATYPES)
def test_round_trip_every_datatype(tmp_path, rng, datatype):
    real = datatype.startswith("r")
    x = _signal(rng, 10_001, real)
    w = _write(tmp_path / "rec", x, datatype=datatype, center_freq=436.7e6, start_time=T0)
    assert w.samples_written == len(x)
    for name in ("rec", "rec.sigmf-meta", "rec.sigmf-data"):
        src = open_file(tmp_path / name)
        assert src.info.sample_rate == 250e3
        assert src.info.center_freq == 436.7e6
        assert src.info.start_time == T0
        assert src.info.is_complex is not real
        assert src.info.num_samples == len(x)
        y = _read(src)
        assert y.dtype == (np.float32 if real else np.complex64)
        err = np.abs(y.view(np.float32) - x.view(np.float32)).max()
        assert err <= TOLERANCE[datatype] * 1.0001


def test_writer_clips_integer_types(tmp_path):
    x = np.array([2 + 2j, -3 - 0.5j], dtype=np.complex64)
    _write(tmp_path / "c", x, datatype="ci16_le")
    raw = np.fromfile(tmp_path / "c.sigmf-data", dtype="<i2")
    np.testing.assert_array_equal(raw, [32767, 32767, -32768, -16384])
    _write(tmp_path / "u", x, datatype="cu8")
    np.testing.assert_array_equal(
        np.fromfile(tmp_path / "u.sigmf-data", np.uint8), [255, 255, 0, 64]
    )


def test_metadata_is_valid_sigmf(tmp_path, rng):
    from sigmf import validate

    w = SigMFWriter(
        tmp_path / "rec.sigmf-meta",
        sample_rate=1e6,
        center_freq=868.1e6,
        start_time=T0,
        description="test",
        hw="rtl-sdr",
        extra_global={"sdrlink:gain_db": 30},
    )
    w.write(_signal(rng, 100))
    w.add_annotation(
        50,
        10,
        label="lora",
        comment="frame",
        freq_lower=868.0e6,
        freq_upper=868.2e6,
        extra={"snr_db": np.float32(3.5), "payload": b"\x01\x02"},
    )
    w.add_annotation(5, 10, label="first")
    w.close()
    meta = json.loads((tmp_path / "rec.sigmf-meta").read_text())
    validate.validate(meta)
    g = meta["global"]
    assert g["core:version"] == "1.0.0" and g["core:recorder"] == "sdrlink"
    assert g["core:datatype"] == "cf32_le" and g["core:sample_rate"] == 1e6
    assert g["core:hw"] == "rtl-sdr" and g["sdrlink:gain_db"] == 30
    assert {"name": "sdrlink", "version": "0.1.0", "optional": True} in g["core:extensions"]
    assert meta["captures"] == [
        {
            "core:sample_start": 0,
            "core:frequency": 868.1e6,
            "core:datetime": "2026-11-01T12:00:00.250000Z",
        }
    ]
    assert [a["core:sample_start"] for a in meta["annotations"]] == [5, 50]
    a = meta["annotations"][1]
    assert a["core:freq_lower_edge"] == 868.0e6 and a["sdrlink:snr_db"] == 3.5
    assert a["sdrlink:payload"] == "0102" and a["core:comment"] == "frame"


def test_sigmf_package_reads_our_files(tmp_path, rng):
    import sigmf

    x = _signal(rng, 1000)
    _write(tmp_path / "rec", x, datatype="ci16_le")
    handle = sigmf.sigmffile.fromfile(str(tmp_path / "rec"))
    np.testing.assert_allclose(handle.read_samples(), x, atol=1e-4)


def test_add_annotations_keeps_everything_else(tmp_path, rng):
    from sigmf import validate

    with SigMFWriter(tmp_path / "rec", sample_rate=1e6, description="keep me") as w:
        w.write(_signal(rng, 1000))
        w.add_annotation(500, 10, label="old")
    before = json.loads((tmp_path / "rec.sigmf-meta").read_text())
    add_annotations(
        tmp_path / "rec.sigmf-meta",
        [
            {
                "sample_start": 900,
                "sample_count": 50,
                "label": "b",
                "snr_db": 4.0,
                "sdrlink:freq_offset_hz": float("nan"),
            },
            {
                "core:sample_start": 100,
                "core:sample_count": 5,
                "core:label": "a",
                "extra": {"crc_ok": True},
            },
        ],
    )
    after = json.loads((tmp_path / "rec.sigmf-meta").read_text())
    validate.validate(after)
    assert after["global"]["core:description"] == "keep me"
    assert after["captures"] == before["captures"]
    labels = [(a["core:sample_start"], a.get("core:label")) for a in after["annotations"]]
    assert labels == [(100, "a"), (500, "old"), (900, "b")]
    assert after["annotations"][0]["sdrlink:crc_ok"] is True
    assert after["annotations"][2]["sdrlink:snr_db"] == 4.0
    assert after["annotations"][2]["sdrlink:freq_offset_hz"] is None  # valid JSON, not NaN
    assert "NaN" not in (tmp_path / "rec.sigmf-meta").read_text()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.sigmf-data", "rec.sigmf-meta"]
    assert open_file(tmp_path / "rec").info.num_samples == 1000


def test_abort_leaves_nothing(tmp_path, rng):
    w = SigMFWriter(tmp_path / "rec", sample_rate=1e6)
    w.write(_signal(rng, 1000))
    assert not (tmp_path / "rec.sigmf-data").exists()  # only a temporary name so far
    assert len(list(tmp_path.iterdir())) == 1
    w.abort()
    assert list(tmp_path.iterdir()) == []


def test_exception_in_context_aborts(tmp_path, rng):
    with pytest.raises(RuntimeError), SigMFWriter(tmp_path / "rec", sample_rate=1e6) as w:
        w.write(_signal(rng, 1000))
        raise RuntimeError("boom")
    assert list(tmp_path.iterdir()) == []


def test_keyboard_interrupt_keeps_recording(tmp_path, rng):
    x = _signal(rng, 1000)
    with pytest.raises(KeyboardInterrupt), SigMFWriter(tmp_path / "rec", sample_rate=1e6) as w:
        w.write(x)
        raise KeyboardInterrupt
    np.testing.assert_array_equal(_read(open_file(tmp_path / "rec")), x)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.sigmf-data", "rec.sigmf-meta"]


def test_writer_rejects_bad_arguments(tmp_path):
    with pytest.raises(ConfigError, match="datatype"):
        SigMFWriter(tmp_path / "a", sample_rate=1e6, datatype="cf64_be")
    with pytest.raises(ConfigError, match="sample rate"):
        SigMFWriter(tmp_path / "a", sample_rate=0)
    with (
        pytest.raises(ConfigError, match="complex"),
        SigMFWriter(tmp_path / "a", sample_rate=1e6, datatype="rf32_le") as w,
    ):
        w.write(np.ones(3, np.complex64))
    assert list(tmp_path.iterdir()) == []


# ---- archives -------------------------------------------------------------------------


def _archive(tmp_path, rng, name="rec", extra_files=()):
    x = _signal(rng, 3000)
    _write(tmp_path / name, x, datatype="ci16_le", start_time=T0)
    path = tmp_path / "rec.sigmf"
    with tarfile.open(path, "w") as tar:
        for n, data in extra_files:
            info = tarfile.TarInfo(n)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        for ext in (".sigmf-meta", ".sigmf-data"):
            tar.add(tmp_path / f"{name}{ext}", arcname=f"{name}/{name}{ext}")
    (tmp_path / f"{name}.sigmf-meta").unlink()
    (tmp_path / f"{name}.sigmf-data").unlink()
    return path, x


def test_archive_read_in_place(tmp_path, rng):
    path, x = _archive(tmp_path, rng, extra_files=[("README.txt", b"hello" * 33)])
    src = open_source(str(path))
    assert src.info.start_time == T0 and src.info.num_samples == len(x)
    np.testing.assert_allclose(_read(src, 1000), x, rtol=0, atol=0.75 / 32768)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["rec.sigmf"]  # nothing extracted


def test_archive_errors(tmp_path, rng):
    (tmp_path / "bad.sigmf").write_bytes(b"not a tar file at all" * 30)
    with pytest.raises(InputError, match=r"bad\.sigmf"):
        open_file(tmp_path / "bad.sigmf")
    with tarfile.open(tmp_path / "empty.sigmf", "w") as tar:
        info = tarfile.TarInfo("x.txt")
        tar.addfile(info, io.BytesIO(b""))
    with pytest.raises(InputError, match="no .sigmf-meta"):
        open_file(tmp_path / "empty.sigmf")


# ---- bad recordings -------------------------------------------------------------------


@pytest.fixture
def good(tmp_path, rng):
    """A valid ci16 recording of 1000 samples; returns (meta path, meta dict)."""
    _write(tmp_path / "rec", _signal(rng, 1000), datatype="ci16_le", center_freq=1e6)
    meta_path = tmp_path / "rec.sigmf-meta"
    return meta_path, json.loads(meta_path.read_text())


def _with(meta_path, meta):
    meta_path.write_text(json.dumps(meta))
    return meta_path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda m: m["global"].pop("core:datatype"), "lacks core:datatype"),
        (lambda m: m["global"].pop("core:sample_rate"), "lacks core:sample_rate"),
        (lambda m: m["global"].update({"core:sample_rate": "fast"}), "must be a number"),
        (lambda m: m["global"].update({"core:sample_rate": -5}), "positive"),
        (
            lambda m: m["global"].update({"core:datatype": "ci16_be"}),
            "unsupported datatype 'ci16_be'.*big-endian",
        ),
        (lambda m: m["global"].update({"core:datatype": "cq7"}), "unsupported datatype 'cq7'"),
        (lambda m: m["global"].update({"core:num_channels": 2}), "num_channels"),
        (
            lambda m: m["global"].update({"core:sample_count": 999}),
            "sample_count 999 but the data holds 1000",
        ),
        (
            lambda m: m["captures"].append({"core:sample_start": 1000}),
            "capture 1 starts at sample 1000, beyond the 1000",
        ),
        (
            lambda m: m["annotations"].append({"core:sample_start": 990, "core:sample_count": 20}),
            "annotation 0 covers samples 990..1010 beyond",
        ),
        (lambda m: m["annotations"].append({"core:sample_start": -1}), "non-negative"),
        (lambda m: m["captures"][0].update({"core:datetime": "yesterday"}), "core:datetime"),
        (lambda m: m.pop("global"), "no 'global'"),
    ],
)
def test_bad_metadata(good, change, message):
    meta_path, meta = good
    change(meta)
    with pytest.raises(InputError, match=message) as err:
        open_file(_with(meta_path, meta))
    assert "rec.sigmf-meta" in str(err.value)


def test_datatype_case_and_8bit_suffix_accepted(good):
    meta_path, meta = good
    meta["global"]["core:datatype"] = "CI16_LE"
    assert open_file(_with(meta_path, meta)).info.num_samples == 1000
    meta["global"]["core:datatype"] = "cu8_le"  # 8-bit: byte order is meaningless
    assert open_file(_with(meta_path, meta)).info.num_samples == 2000


def test_invalid_json(good):
    meta_path, _ = good
    meta_path.write_text('{"global": {')
    with pytest.raises(InputError, match=r"rec\.sigmf-meta: invalid JSON"):
        open_file(meta_path)


def test_missing_files(good, tmp_path):
    meta_path, _ = good
    (tmp_path / "rec.sigmf-data").unlink()
    with pytest.raises(InputError, match=r"rec\.sigmf-data: SigMF data file not found"):
        open_file(meta_path)
    (tmp_path / "other.sigmf-data").write_bytes(b"\0" * 8)
    with pytest.raises(InputError, match=r"other\.sigmf-meta: SigMF metadata file not found"):
        open_file(tmp_path / "other.sigmf-data")


def test_data_length_checks(good, tmp_path):
    meta_path, _ = good
    data = tmp_path / "rec.sigmf-data"
    with open(data, "ab") as f:
        f.write(b"\x01")
    with pytest.raises(InputError, match="4001 bytes is not a multiple of the 4-byte ci16_le"):
        open_file(meta_path)
    data.write_bytes(b"")
    with pytest.raises(InputError, match="empty"):
        open_file(meta_path)


def test_nan_in_sigmf_reported_with_index(tmp_path, rng):
    x = _signal(rng, 5000)
    x[3777] = np.nan
    _write(tmp_path / "rec", x)
    with pytest.raises(InputError, match="sample 3777"):
        _read(open_file(tmp_path / "rec"), 1024)


def test_nanosecond_datetime(good):
    meta_path, meta = good
    meta["captures"][0]["core:datetime"] = "2026-11-01T12:00:00.123456789Z"
    t = open_file(_with(meta_path, meta)).info.start_time
    assert t == dt.datetime(2026, 11, 1, 12, 0, 0, 123456, tzinfo=dt.timezone.utc)


def test_shared_lora_vectors_open(shared_lora):
    manifest = json.loads((shared_lora / "manifest.json").read_text())
    assert manifest["cases"]
    for case in manifest["cases"]:
        src = open_file(shared_lora / case["recording"])
        assert src.info.sample_rate == case["fs"], case["name"]
        assert src.info.is_complex
        assert src.info.center_freq is not None and src.info.start_time is not None
        meta = json.loads((shared_lora / case["recording"]).read_text())
        size = (shared_lora / case["recording"].replace("-meta", "-data")).stat().st_size
        bytes_per = {"cf32_le": 8, "ci16_le": 4, "cu8": 2, "ci8": 2}
        assert src.info.num_samples * bytes_per[meta["global"]["core:datatype"]] == size
        # long enough for a preamble: 8 chirps of 2**sf samples at fs/bw oversampling
        assert src.info.num_samples > 8 * 2 ** case["sf"] * case["fs"] / case["bw"]
        stops = [b.stop for b in src.blocks(1 << 17)]
        assert stops[-1] == src.info.num_samples


def test_unserialisable_metadata_leaves_nothing(tmp_path, rng):
    w = SigMFWriter(tmp_path / "rec", sample_rate=1e6, extra_global={"sdrlink:bad": object()})
    w.write(_signal(rng, 100))
    with pytest.raises(TypeError):
        w.close()
    assert list(tmp_path.iterdir()) == []


def test_numpy_values_in_extra_global(tmp_path, rng):
    with SigMFWriter(
        tmp_path / "rec",
        sample_rate=np.float64(1e6),
        extra_global={"sdrlink:gain": np.float32(20.5), "sdrlink:n": np.int64(3)},
    ) as w:
        w.write(_signal(rng, 10))
    g = json.loads((tmp_path / "rec.sigmf-meta").read_text())["global"]
    assert g["sdrlink:gain"] == 20.5 and g["sdrlink:n"] == 3 and g["core:sample_rate"] == 1e6
