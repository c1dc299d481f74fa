"""Frame sinks: terminal line format, JSON lines, the SQLite frame log."""

import datetime as dt
import io
import json
import sqlite3

import pytest

from sdrlink.errors import InputError
from sdrlink.frame import Frame
from sdrlink.pipeline import RunStats
from sdrlink.sinks import FrameDB, JsonlSink, SqliteSink, TerminalSink, format_frame

T0 = dt.datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=dt.timezone.utc)


def _frames():
    return [
        Frame("lora", 1000, b"Hello\x00", True, 1234.5, 3.2, T0, 868.1e6, {"sf": 9}),
        Frame("lora", 5000, b"\xff\xfe", False, -20.0, -5.0, None, 868.1e6, {"sf": 9}),
        Frame("fsk", 9000, b"AB", None, 0.0, 10.0, None, None, {"dst": "CQ"}),
    ]


def test_terminal_line_shows_time_offset_snr_crc_hex_and_text():
    line = format_frame(_frames()[0])
    assert line.startswith("2026-11-01 12:00:00.250Z")
    assert "+1234.5 Hz" in line and "3.2 dB" in line and "CRC ok" in line
    assert "48656c6c6f00" in line and "|Hello.|" in line


def test_terminal_hides_bad_crc_unless_asked():
    out = io.StringIO()
    sink = TerminalSink(out)
    for f in _frames():
        sink.write(f)
    assert "CRC BAD" not in out.getvalue() and out.getvalue().count("\n") == 2
    out2 = io.StringIO()
    sink = TerminalSink(out2, show_bad=True)
    sink.write(_frames()[1])
    assert "CRC BAD" in out2.getvalue()


def test_jsonl_lines_are_complete_json(tmp_path):
    path = tmp_path / "frames.jsonl"
    sink = JsonlSink(path)
    for f in _frames():
        sink.write(f)
    sink.close()
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert [r["payload"] for r in rows] == ["48656c6c6f00", "4142"]
    assert rows[0]["time"] == "2026-11-01T12:00:00.250000Z" and rows[0]["fields"] == {"sf": 9}
    assert rows[1]["crc_ok"] is None


def test_sqlite_log_schema_rows_and_run_status(tmp_path):
    db = tmp_path / "log.sqlite"
    sink = SqliteSink(db, "rec.sigmf-meta", "lora", {"sf": 9}, commit_every=1)
    for f in _frames():
        sink.write(f)
    sink.finish(RunStats(samples=123, interrupted=True))
    sink.close()
    con = sqlite3.connect(db)
    rows = con.execute(
        "SELECT protocol, sample_index, crc_ok, payload, payload_hex, time_utc FROM frames "
        "ORDER BY id"
    ).fetchall()
    assert rows == [
        ("lora", 1000, 1, b"Hello\x00", "48656c6c6f00", "2026-11-01T12:00:00.250000Z"),
        ("fsk", 9000, None, b"AB", "4142", None),
    ]
    run = con.execute("SELECT status, samples, frames, settings_json FROM runs").fetchone()
    assert run[:3] == ("interrupted", 123, 2) and json.loads(run[3]) == {"sf": 9}
    assert con.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone() == ("1",)


def test_sqlite_appends_runs_to_an_existing_log(tmp_path):
    db = tmp_path / "log.sqlite"
    for _ in range(2):
        sink = SqliteSink(db, "a", "lora")
        sink.write(_frames()[0])
        sink.close()
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 2
    assert con.execute("SELECT COUNT(DISTINCT run_id) FROM frames").fetchone()[0] == 2


def test_sqlite_rejects_a_file_that_is_not_a_database(tmp_path):
    bad = tmp_path / "notadb.sqlite"
    bad.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a usable SQLite frame log"):
        FrameDB(bad)


@pytest.mark.parametrize("option", ["--jsonl", "--db"])
def test_unwritable_output_path_is_a_one_line_error(tmp_path, capsys, option):
    from pathlib import Path

    from sdrlink.cli.main import main

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    example = Path(__file__).parents[1] / "examples" / "lora_demo.sigmf-meta"
    argv = ["decode", str(example), "-p", "lora", "--sf", "9", "--bw", "125k"]
    assert main([*argv, option, str(blocker / "out")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0]
    assert f"{blocker} is a file, not a folder" in err[0]
