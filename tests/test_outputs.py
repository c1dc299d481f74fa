"""Every output obeys one rule, checked before decoding starts (issue: a new user's first hour)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from sdrlink.cli.main import main

EXAMPLE = Path(__file__).parents[1] / "examples" / "lora_demo.sigmf-meta"
LORA = ["-p", "lora", "--sf", "7,9", "--bw", "125k"]


def _copy_example(folder: Path) -> Path:
    for ext in (".sigmf-meta", ".sigmf-data"):
        shutil.copy(EXAMPLE.with_suffix(ext), folder / f"demo{ext}")
    return folder / "demo.sigmf-meta"


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1, err
    return err[0]


@pytest.mark.parametrize("option", ["--jsonl", "--db", "--kiss"])
def test_missing_parent_folder_is_an_error_and_is_not_created(tmp_path, capsys, option):
    target = tmp_path / "no" / "such" / "out.x"
    argv = ["decode", str(EXAMPLE), "-p", "fsk", "--framing", "ax25", option, str(target)]
    assert main(argv) == 2
    assert f"folder {target.parent} does not exist" in _one_line_error(capsys)
    assert not (tmp_path / "no").exists()


def test_output_that_is_a_folder_is_named_as_such(tmp_path, capsys):
    assert main(["decode", str(EXAMPLE), *LORA, "--jsonl", str(tmp_path)]) == 2
    assert "is a folder" in _one_line_error(capsys)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write anywhere")
def test_annotate_in_a_read_only_folder_fails_before_decoding(tmp_path, capsys):
    meta = _copy_example(tmp_path)
    tmp_path.chmod(0o555)
    try:
        assert main(["decode", str(meta), *LORA, "--annotate"]) == 2
    finally:
        tmp_path.chmod(0o755)
    err = _one_line_error(capsys)
    assert "permission denied" in err and "frame(s)" not in capsys.readouterr().err


def test_annotate_checks_the_metadata_before_decoding(tmp_path, capsys, monkeypatch):
    """The check runs before the first sample is decoded (root or not)."""
    import sdrlink.sinks.output as output

    meta = _copy_example(tmp_path)
    calls = []
    monkeypatch.setattr(
        output.os, "access", lambda path, mode: calls.append(path) or Path(path) != tmp_path
    )
    assert main(["decode", str(meta), *LORA, "--annotate"]) == 2
    assert "permission denied" in _one_line_error(capsys)


def test_annotate_twice_replaces_its_own_annotations_and_keeps_others(tmp_path, capsys):
    meta = _copy_example(tmp_path)
    doc = json.loads(meta.read_text())
    foreign = {"core:sample_start": 5, "core:sample_count": 10, "core:label": "mine"}
    doc["annotations"] = [*doc.get("annotations", []), foreign]
    meta.write_text(json.dumps(doc))
    for _ in range(2):
        assert main(["decode", str(meta), *LORA, "--annotate", "-q"]) == 0
    anns = json.loads(meta.read_text())["annotations"]
    ours = [a for a in anns if a.get("core:generator") == "sdrlink decode"]
    assert len(ours) == 5  # the demo's five frames, once
    assert foreign in anns
    # each annotation spans the frame on air, not a fixed 10 ms
    rate = doc["global"]["core:sample_rate"]
    lengths = sorted(a["core:sample_count"] / rate for a in ours)
    assert lengths[0] > 0.02 and lengths[-1] < 0.5 and len(set(lengths)) > 1


def test_kiss_with_a_protocol_without_ax25_is_refused(tmp_path, capsys):
    assert main(["decode", str(EXAMPLE), *LORA, "--kiss", str(tmp_path / "k.kiss")]) == 2
    assert "--kiss writes AX.25 frames" in _one_line_error(capsys)
    assert not (tmp_path / "k.kiss").exists()


def test_jsonl_to_stdout_needs_quiet(capsys):
    assert main(["decode", str(EXAMPLE), *LORA, "--jsonl", "-"]) == 2
    assert "add -q" in _one_line_error(capsys)
    assert main(["decode", str(EXAMPLE), *LORA, "--jsonl", "-", "-q"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 5 and all(json.loads(line)["protocol"] == "lora" for line in lines)


def test_include_bad_reaches_the_database_too(tmp_path):
    import sqlite3

    import numpy as np

    from sdrlink.frame import Frame
    from sdrlink.pipeline import RunStats
    from sdrlink.sinks import SqliteSink

    bad = Frame("lora", 10, b"x", False, 0.0, 1.0)
    good = Frame("lora", 20, b"y", True, 0.0, 1.0)
    for include, expected in ((False, 1), (True, 2)):
        path = tmp_path / f"f{include}.sqlite"
        sink = SqliteSink(path, "src", "lora", {}, include_bad=include)
        sink.write(bad)
        sink.write(good)
        sink.finish(RunStats())
        sink.close()
        rows = sqlite3.connect(path).execute("SELECT crc_ok FROM frames").fetchall()
        assert len(rows) == expected
    assert np.isfinite(good.snr_db)


def test_include_bad_option_feeds_every_sink():
    from sdrlink.cli.main import build_parser

    for flag in ("--include-bad", "--show-bad"):
        argv = ["decode", "x.cf32", "-p", "lora", flag]
        assert build_parser(argv).parse_args(argv).include_bad is True
