"""Batch building blocks that need no cluster: paths, hashes, settings, the log."""

from __future__ import annotations

import hashlib
import json
import sqlite3

import numpy as np
import pytest

from sdrlink import Frame, batch
from sdrlink.errors import InputError
from sdrlink.sources.writer import SigMFWriter


def _sigmf(path, samples, rate=250e3):
    w = SigMFWriter(path, sample_rate=rate)
    w.write(samples)
    w.close()


def test_expand_patterns_recursive_dedupes_pairs_and_skips_unknown(tmp_path, rng):
    (tmp_path / "a" / "b").mkdir(parents=True)
    x = (rng.standard_normal(100) + 0j).astype(np.complex64)
    _sigmf(tmp_path / "a" / "one", x)
    _sigmf(tmp_path / "a" / "b" / "two", x)
    x.tofile(tmp_path / "a" / "b" / "three.cf32")
    (tmp_path / "a" / "notes.txt").write_text("not a recording")
    found = batch.expand_patterns([str(tmp_path / "**" / "*")])
    assert found == sorted(
        [
            str(tmp_path / "a" / "b" / "three.cf32"),
            str(tmp_path / "a" / "b" / "two.sigmf-meta"),
            str(tmp_path / "a" / "one.sigmf-meta"),
        ]
    )
    assert batch.expand_patterns([str(tmp_path / "a" / "b")]) == found[:2]  # a folder
    # the data file named literally maps to its pair; unknown literal names are kept
    lit = batch.expand_patterns([str(tmp_path / "a" / "one.sigmf-data"), "missing.cf32"])
    assert lit == sorted([str(tmp_path / "a" / "one.sigmf-meta"), "missing.cf32"])


def test_expand_patterns_no_match_is_input_error(tmp_path):
    with pytest.raises(InputError, match="no recording matches"):
        batch.expand_patterns([str(tmp_path / "*.sigmf-meta")])


def test_content_hash_streams_whole_file_and_ignores_annotations(tmp_path, rng):
    data = rng.standard_normal(3_000_000).astype(np.float32)  # 12 MB: many hash blocks
    raw = tmp_path / "x.cf32"
    data.tofile(raw)
    expected = hashlib.sha256(b"data\0" + data.tobytes()).hexdigest()
    assert batch.content_hash(str(raw)) == expected
    moved = tmp_path / "sub"
    moved.mkdir()
    raw.rename(moved / "renamed.cf32")
    assert batch.content_hash(str(moved / "renamed.cf32")) == expected  # content only

    base = tmp_path / "rec"
    _sigmf(base, data.view(np.complex64))
    meta = tmp_path / "rec.sigmf-meta"
    h0 = batch.content_hash(str(meta))
    doc = json.loads(meta.read_text())
    doc["annotations"] = [{"core:sample_start": 5, "core:comment": "frame"}]
    meta.write_text(json.dumps(doc, indent=4))
    assert batch.content_hash(str(meta)) == h0  # annotations and layout do not count
    doc["global"]["core:sample_rate"] = 1e6
    meta.write_text(json.dumps(doc))
    assert batch.content_hash(str(meta)) != h0  # metadata that changes decoding does
    doc["global"]["core:sample_rate"] = 250e3
    meta.write_text(json.dumps(doc))
    assert batch.content_hash(str(meta)) == h0
    with open(tmp_path / "rec.sigmf-data", "r+b") as f:
        f.seek(1000)
        f.write(b"\x01")
    assert batch.content_hash(str(meta)) != h0


def test_content_hash_missing_file(tmp_path):
    with pytest.raises(InputError, match="not found"):
        batch.content_hash(str(tmp_path / "gone.cf32"))


def test_canonical_json_is_stable():
    a = batch.canonical_json({"bw": 125e3, "sf": [7, 9], "b": {"y": 1.5, "x": None}})
    b = batch.canonical_json({"b": {"x": None, "y": 1.5}, "sf": np.array([7, 9]), "bw": 125000})
    assert a == b == '{"b":{"x":null,"y":1.5},"bw":125000,"sf":[7,9]}'
    assert batch.settings_key("h", a, "1") != batch.settings_key("h", a, "2")


def test_decode_file_reports_errors_without_raising(tmp_path):
    bad = tmp_path / "bad.sigmf-meta"
    bad.write_text("{not json")
    (tmp_path / "bad.sigmf-data").write_bytes(b"\0" * 80)
    res = batch.decode_file(str(bad), "lora", {"sf": 7, "bw": 125e3}, {})
    assert res.error is not None and "invalid JSON" in res.error
    assert not res.internal and res.frames == [] and res.content_hash is not None
    skipped = batch.decode_file(str(bad), "lora", {}, {}, done=frozenset({res.content_hash}))
    assert skipped.skipped and skipped.error is None


def _result(path, content, payloads):
    frames = [Frame("lora", 100 * i, p, True, fields={"sf": 7}) for i, p in enumerate(payloads)]
    return batch.FileResult(path, content_hash=content, frames=frames, samples=1000)


def test_batch_log_one_row_set_per_key_and_force_replaces(tmp_path):
    log = batch.BatchLog(tmp_path / "f.sqlite")
    settings = batch.canonical_json({"protocol": "lora"})
    run1 = log.record("a.cf32", _result("a.cf32", "h1", [b"x", b"y"]), "lora", settings, False)
    assert run1 is not None
    assert log.record("a.cf32", _result("a.cf32", "h1", [b"x"]), "lora", settings, False) is None
    assert log.done_hashes(settings) == {"h1"}
    assert log.done_hashes(batch.canonical_json({"protocol": "fsk"})) == frozenset()
    run2 = log.record("a.cf32", _result("a.cf32", "h1", [b"z"]), "lora", settings, True)
    assert run2 is not None and run2 != run1
    log.close()
    con = sqlite3.connect(tmp_path / "f.sqlite")
    rows = con.execute("SELECT run_id, payload, fields_json FROM frames").fetchall()
    assert rows == [(run2, b"z", '{"sf": 7}')]
    assert con.execute("SELECT count(*) FROM runs").fetchone() == (1,)
    assert con.execute("SELECT run_id, frames FROM recordings").fetchall() == [(run2, 1)]


def test_decode_file_marks_bugs_as_internal(tmp_path, monkeypatch, rng):
    raw = tmp_path / "x.cf32"
    rng.standard_normal(2000).astype(np.float32).tofile(raw)

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr("sdrlink.api.decode_source", broken)
    res = batch.decode_file(str(raw), "lora", {}, {"sample_rate": 250e3})
    assert res.internal and "RuntimeError('boom')" in res.error and "boom" in res.detail


def test_file_progress_draws_counts():
    import io

    out = io.StringIO()
    bar = batch.FileProgress(stream=out, force=True, hz=1e9)
    bar(batch.FileOutcome("a", "decoded", samples=10), 1, 3)
    bar(batch.FileOutcome("b", "skipped"), 2, 3)
    bar(batch.FileOutcome("c", "failed", error="x"), 3, 3)
    bar.close()
    text = out.getvalue()
    assert "3/3 files, 1 skipped, 1 failed" in text and text.endswith("\n")
    silent = io.StringIO()
    batch.FileProgress(stream=silent)(batch.FileOutcome("a", "decoded"), 1, 1)
    assert silent.getvalue() == ""  # not a terminal


@pytest.mark.parametrize(
    "argv, message",
    [
        (["x.cf32", "-p", "lora"], "--db PATH"),
        (["x.cf32", "--db", "f.sqlite"], "which protocol"),
        (["nothing/*.cf32", "-p", "lora", "--db", "f.sqlite"], "no recording matches"),
        (["x.cf32", "-p", "lora", "--db", "f.sqlite", "--workers", "0"], "at least 1"),
        (["x.cf32", "-p", "lora", "--parquet", "no/such/dir/f.parquet"], "does not exist"),
        (["x.cf32", "-p", "lora", "--db", "no/such/dir/f.sqlite"], "folder no/such/dir does not"),
    ],
)
def test_cli_batch_user_errors_exit_2(argv, message, tmp_path, monkeypatch, capsys):
    from sdrlink.cli.main import main

    monkeypatch.chdir(tmp_path)
    assert main(["batch", *argv]) == 2
    assert message in capsys.readouterr().err
