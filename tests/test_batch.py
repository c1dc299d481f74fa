"""Batch decoding on a local 2-worker Dask cluster: same frames as decoding each file
alone, one corrupt recording reported, resumability and --force."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np
import pytest

from sdrlink import batch
from sdrlink.api import decode
from sdrlink.channel import channel
from sdrlink.cli.main import main
from sdrlink.protocols import get_protocol
from sdrlink.sources.writer import SigMFWriter

pytest.importorskip("distributed")

RATE = 250e3
OPTIONS = {"sf": 7, "bw": 125e3}
N_FILES = 20
CORRUPT = 7  # index of the truncated recording


def _write_recordings(folder: Path) -> dict[str, list[bytes]]:
    """20 short SigMF recordings with two LoRa frames each; one is truncated."""
    lora = get_protocol("lora")
    params = lora.make_params(dict(OPTIONS))
    rng = np.random.default_rng(2026)
    truth: dict[str, list[bytes]] = {}
    for i in range(N_FILES):
        payloads = [f"file {i:02d} frame {k}".encode() for k in range(2)]
        x = np.zeros(int(0.5 * RATE), np.complex64)
        for k, payload in enumerate(payloads):
            burst = lora.modulate(params, payload, RATE)
            start = 5000 + k * 60000 + int(rng.integers(0, 2000))
            x[start : start + len(burst)] = burst
        y = channel(
            x, RATE, snr_db=10.0, signal_bw=125e3, cfo_hz=float(rng.uniform(-2e3, 2e3)), rng=rng
        )
        path = folder / f"rec{i:02d}"
        w = SigMFWriter(path, sample_rate=RATE, center_freq=868.1e6)
        w.write(y)
        w.close()
        meta = str(path) + ".sigmf-meta"
        if i == CORRUPT:
            data = Path(str(path) + ".sigmf-data")
            data.write_bytes(data.read_bytes()[:-3])  # truncated mid-sample
        else:
            truth[meta] = payloads
    return truth


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    folder = tmp_path_factory.mktemp("batch")
    truth = _write_recordings(folder)
    paths = sorted(str(p) for p in folder.glob("*.sigmf-meta"))
    return folder, paths, truth


@pytest.fixture(scope="module")
def alone(recordings):
    """Each good file decoded on its own, in this process."""
    _, _, truth = recordings
    return {
        path: [(f.sample_index, f.payload, f.crc_ok) for f in decode(path, "lora", **OPTIONS)]
        for path in truth
    }


@pytest.fixture(scope="module")
def client():
    client = batch.local_client(2)
    yield client
    cluster = client.cluster
    client.close()
    cluster.close()


def _db_frames(db: Path) -> dict[str, list[tuple]]:
    con = sqlite3.connect(db)
    out: dict[str, list[tuple]] = {}
    for source, idx, payload, crc in con.execute(
        "SELECT source, sample_index, payload, crc_ok FROM frames ORDER BY id"
    ):
        out.setdefault(source, []).append((idx, payload, None if crc is None else bool(crc)))
    con.close()
    return out


def _n(frames: dict[str, list]) -> int:
    return sum(len(v) for v in frames.values())


def _count(db: Path, table: str) -> int:
    con = sqlite3.connect(db)
    n = con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    con.close()
    return n


def test_alone_decodes_the_transmitted_payloads(recordings, alone):
    """The reference is meaningful: every good file gives its two frames."""
    _, _, truth = recordings
    assert {p: [f[1] for f in frames] for p, frames in alone.items()} == truth


def test_batch_matches_alone_reports_corrupt_and_resumes(recordings, alone, client, tmp_path):
    folder, paths, truth = recordings
    db = tmp_path / "frames.sqlite"
    first = batch.decode_many(paths, "lora", options=OPTIONS, db=db, client=client)
    assert [f.path for f in first.failures] == [str(folder / f"rec{CORRUPT:02d}.sigmf-meta")]
    assert "truncated" in first.failures[0].error
    assert len(first.decoded) == N_FILES - 1 and not first.skipped
    assert first.frame_count == _n(alone)
    assert _db_frames(db) == alone

    second = batch.decode_many(paths, "lora", options=OPTIONS, db=db, client=client)
    assert len(second.skipped) == N_FILES - 1 and not second.decoded
    assert [f.path for f in second.failures] == [f.path for f in first.failures]
    assert _db_frames(db) == alone
    assert _count(db, "frames") == _n(alone)

    # the same settings written another way (as the CLI passes them) are the same key
    same = batch.decode_many(paths, "lora", options={"sf": [7], "bw": "125k"}, db=db, client=client)
    assert len(same.skipped) == N_FILES - 1 and not same.decoded

    # other settings are another key: decoded again, into new rows
    other = batch.decode_many(
        paths[:2], "lora", options={**OPTIONS, "sync_word": 0x34}, db=db, client=client
    )
    assert len(other.decoded) == 2 and not other.skipped
    assert _count(db, "recordings") == N_FILES - 1 + 2
    assert _count(db, "frames") == _n(alone) + other.frame_count


def test_force_redecodes_without_duplicating_rows(recordings, alone, client, tmp_path):
    _, paths, truth = recordings
    good = list(truth)[:4]
    db = tmp_path / "frames.sqlite"
    batch.decode_many(good, "lora", options=OPTIONS, db=db, client=client)
    runs_before = _count(db, "runs")
    forced = batch.decode_many(good, "lora", options=OPTIONS, db=db, client=client, force=True)
    assert len(forced.decoded) == 4 and not forced.skipped
    assert _db_frames(db) == {p: alone[p] for p in good}
    assert _count(db, "frames") == _n({p: alone[p] for p in good})
    assert _count(db, "runs") == runs_before == _count(db, "recordings") == 4


def test_cli_batch_on_scheduler_with_parquet(recordings, alone, client, tmp_path, capsys):
    pd = pytest.importorskip("pandas")
    folder, _, _ = recordings
    db, pq = tmp_path / "f.sqlite", tmp_path / "f.parquet"
    argv = ["batch", str(folder / "**" / "*.sigmf-*"), "-p", "lora", "--sf", "7", "--bw", "125k"]
    argv += ["--db", str(db), "--scheduler", client.scheduler.address, "--parquet", str(pq)]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert f"FAILED {folder / f'rec{CORRUPT:02d}.sigmf-meta'}:" in err
    assert f"20 file(s): 19 decoded, 0 skipped, 1 failed; {_n(alone)} frame(s)" in err
    assert _db_frames(db) == alone
    table = pd.read_parquet(pq)
    got = sorted(zip(table["source"], table["sample_index"], table["payload"], strict=True))
    want = sorted((p, i, pay) for p, frames in alone.items() for i, pay, _ in frames)
    assert got == want and table["crc_ok"].all()

    assert main(argv + ["-v"]) == 2  # second run: skipped, Parquet still has all frames
    out, err = capsys.readouterr()
    assert "19 skipped, 1 failed; 0 frame(s)" in err
    assert out.count("skipped ") == 19
    assert len(pd.read_parquet(pq)) == len(want)


def test_cli_batch_own_local_cluster(recordings, alone, tmp_path, capsys):
    _, _, truth = recordings
    good = list(truth)[:3]
    db = tmp_path / "f.sqlite"
    argv = ["batch", *good, "-p", "lora", "--sf", "7", "--bw", "125k", "--db", str(db)]
    assert main(argv + ["--workers", "2"]) == 0
    expected = f"3 file(s): 3 decoded, 0 skipped, 0 failed; {_n({p: alone[p] for p in good})} frame"
    assert expected in capsys.readouterr().err
    assert _db_frames(db) == {p: alone[p] for p in good}


def test_api_without_db_keeps_frames_and_exports_parquet(recordings, alone, client, tmp_path):
    pd = pytest.importorskip("pandas")
    _, _, truth = recordings
    good = list(truth)[:2]
    pq = tmp_path / "f.parquet"
    res = batch.decode_many(good, "lora", options=OPTIONS, client=client, parquet=pq)
    assert res.ok and res.db is None and res.parquet == str(pq)
    got = {p: [(f.sample_index, f.payload, f.crc_ok) for f in fr] for p, fr in res.frames.items()}
    assert got == {p: alone[p] for p in good}
    table = pd.read_parquet(pq)
    rows = sorted(zip(table["source"], table["sample_index"], table["payload"], strict=True))
    assert rows == sorted((p, i, pay) for p in good for i, pay, _ in alone[p])


def test_a_dying_task_fails_only_its_file(recordings, alone, tmp_path, monkeypatch):
    """A task that raises on the worker (as after a crash) is one failure, not the end."""
    _, _, truth = recordings
    good = list(truth)[:3]
    real = batch.decode_file

    def flaky(path, *args, **kwargs):
        if path.endswith("rec01.sigmf-meta"):
            raise RuntimeError("worker lost")
        return real(path, *args, **kwargs)

    monkeypatch.setattr(batch, "decode_file", flaky)
    from distributed import Client

    with Client(processes=False, n_workers=1, threads_per_worker=2, dashboard_address=":0") as c:
        res = batch.decode_many(good, "lora", options=OPTIONS, client=c, db=tmp_path / "f.sqlite")
    assert [f.path for f in res.failures] == [good[1]]
    assert res.failures[0].internal and "worker lost" in res.failures[0].error
    assert _db_frames(tmp_path / "f.sqlite") == {good[0]: alone[good[0]], good[2]: alone[good[2]]}
