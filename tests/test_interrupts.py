"""SIGINT, SIGTERM and SIGHUP stop every long-running command cleanly.

Each command runs as its own process (the real ``sdrlink`` main; for decode
and simulate with reads/writes slowed by ``tests/slow_cli.py`` so the signal
lands mid-run) and is signalled once it has produced output. Then: the exit
code is 128 + the signal, the JSON lines parse, the SQLite log passes its
integrity check with every run row closed and no -wal/-shm left, SigMF
metadata is valid JSON describing data that exists, and no temporary file is
left behind.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "lora_demo.sigmf-meta"
SIGNALS = [signal.SIGINT, signal.SIGTERM, signal.SIGHUP]
LORA = ["-p", "lora", "--sf", "7,9", "--bw", "125k"]


def _start(args: list[str], cwd: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONPATH=str(ROOT), PYTHONUNBUFFERED="1")
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,  # a SIGHUP for it alone, as when its terminal closes
    )


def _signal_when(proc: subprocess.Popen, ready, sig: int, timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None and not ready():
        time.sleep(0.05)
    assert proc.poll() is None, f"finished before the signal: {proc.communicate()}"
    assert ready(), "no output before the deadline"
    proc.send_signal(sig)
    try:
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 128 + sig, err
    assert "Traceback" not in err, err
    return err


def _lines(path: Path) -> int:
    return path.read_text().count("\n") if path.exists() else 0


def _check_jsonl(path: Path) -> list[dict]:
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    assert rows
    return rows


def _check_db(path: Path, status: str | None = "interrupted") -> None:
    con = sqlite3.connect(path)
    assert con.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    runs = con.execute("SELECT status, finished_utc, samples FROM runs").fetchall()
    con.close()
    assert runs and all(r[1] is not None and r[2] is not None for r in runs), runs
    if status is not None:
        assert runs[-1][0] == status
    assert not Path(f"{path}-wal").exists() and not Path(f"{path}-shm").exists()


def _check_sigmf(meta_path: Path) -> dict:
    meta = json.loads(meta_path.read_text())
    data = meta_path.with_name(meta_path.name.replace(".sigmf-meta", ".sigmf-data"))
    assert data.stat().st_size > 0
    return meta


def _no_temporary_files(folder: Path) -> None:
    left = [p.name for p in folder.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"]
    assert not left, left


def _copy_example(folder: Path) -> Path:
    for ext in (".sigmf-meta", ".sigmf-data"):
        shutil.copy(EXAMPLE.with_suffix(ext), folder / f"rec{ext}")
    return folder / "rec.sigmf-meta"


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_decode_stops_cleanly(tmp_path, sig):
    meta = _copy_example(tmp_path)
    jsonl, db = tmp_path / "f.jsonl", tmp_path / "f.sqlite"
    args = ["tests/slow_cli.py", "0.1", "decode", str(meta), *LORA, "--block-size", "16384"]
    args += ["--jsonl", str(jsonl), "--db", str(db), "--annotate", "-q"]
    proc = _start(args, ROOT)
    err = _signal_when(proc, lambda: _lines(jsonl) >= 1, sig)
    assert "outputs are complete up to here" in err
    rows = _check_jsonl(jsonl)
    _check_db(db)
    con = sqlite3.connect(db)
    assert con.execute("SELECT COUNT(*) FROM frames").fetchone()[0] == len(rows)
    con.close()
    anns = [a for a in _check_sigmf(meta)["annotations"] if a.get("core:generator")]
    assert len(anns) == len(rows) and len(rows) < 5  # stopped before the end
    _no_temporary_files(tmp_path)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_simulate_stops_cleanly(tmp_path, sig):
    out = tmp_path / "sim"
    args = ["tests/slow_cli.py", "0.05", "simulate", str(out), "-p", "lora", "--sf", "7"]
    args += ["--count", "20", "--interval", "1", "--seed", "1"]
    proc = _start(args, ROOT)
    started = lambda: any(p.suffix == ".tmp" and p.stat().st_size > 8e6 for p in tmp_path.iterdir())  # noqa: E731
    _signal_when(proc, started, sig)
    meta = _check_sigmf(tmp_path / "sim.sigmf-meta")
    n = (tmp_path / "sim.sigmf-data").stat().st_size // 8
    anns = meta["annotations"]
    assert anns and all(a["core:sample_start"] + a["core:sample_count"] <= n for a in anns)
    assert len(anns) < 20
    _no_temporary_files(tmp_path)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_batch_stops_cleanly(tmp_path, sig):
    pytest.importorskip("distributed")
    for k in range(24):  # recordings of distinct content (copies would be skipped)
        shutil.copy(EXAMPLE.with_suffix(".sigmf-meta"), tmp_path / f"r{k:02d}.sigmf-meta")
        data = bytearray(EXAMPLE.with_suffix(".sigmf-data").read_bytes())
        data[100] = k
        (tmp_path / f"r{k:02d}.sigmf-data").write_bytes(data)
    db = tmp_path / "out" / "f.sqlite"
    db.parent.mkdir()
    args = ["-m", "sdrlink", "batch", str(tmp_path / "*.sigmf-meta"), *LORA]
    args += ["--db", str(db), "--workers", "1", "--no-progress"]
    proc = _start(args, ROOT)

    wal = Path(f"{db}-wal")

    def decoded() -> bool:
        # the log's write-ahead file grows as files are recorded; reading the
        # database here would make this test a second user of it
        return wal.exists() and wal.stat().st_size > 120_000  # a few files recorded

    err = _signal_when(proc, decoded, sig, timeout=120)
    assert "interrupted" in err, err
    _check_db(db, status=None)
    con = sqlite3.connect(db)
    done = con.execute("SELECT COUNT(*) FROM recordings").fetchone()[0]
    con.close()
    assert 1 <= done < 24
    assert not wal.exists()
    _no_temporary_files(db.parent)


@pytest.mark.parametrize("sig", SIGNALS, ids=lambda s: signal.Signals(s).name)
def test_live_stops_cleanly(tmp_path, sig):
    sys.path.insert(0, str(ROOT / "tests"))
    from rtltcp_server import RtlTcpServer, lora_recording, to_cu8

    rate = 250e3
    payloads = [f"interrupt test {k}".encode() for k in range(40)]
    x, _ = lora_recording(payloads, rate, gap_s=0.2)
    data = to_cu8(x)
    jsonl, db, rec = tmp_path / "f.jsonl", tmp_path / "f.sqlite", tmp_path / "rec.sigmf-meta"
    with RtlTcpServer(data, rate, pace=1.0, time_limit=90, wait_for_commands=5.0) as server:
        args = ["-m", "sdrlink", "live", "--device", f"rtl_tcp=127.0.0.1:{server.port}"]
        args += ["--freq", "436.7M", "--rate", "250k", "-p", "lora", "--sf", "7", "--bw", "125k"]
        args += ["-q"]
        args += ["--jsonl", str(jsonl), "--db", str(db), "--record", str(rec)]
        proc = _start(args, ROOT)
        _signal_when(proc, lambda: _lines(jsonl) >= 1, sig)
    _check_jsonl(jsonl)
    _check_db(db)
    _check_sigmf(rec)
    _no_temporary_files(tmp_path)
