"""Every shared recording decodes with ``--sat NAME`` alone (issue: coverage).

For each real pass in ../shared/recordings, the satellite's name from its json
is all sdrlink is told: the catalogue supplies the transmitters (protocol,
modulation, baud rate, framing and its options) and every distinct frame
gr-satellites recovered must come back byte for byte, with its check right.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import sdrlink
from sdrlink.cli.main import main

pytestmark = pytest.mark.shared

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(__import__("os").environ.get("SDRLINK_SHARED", ROOT.parent / "shared"))
NAMES = sorted(p.stem for p in (SHARED / "recordings").glob("*.json"))


def _meta(shared_recordings: Path, name: str) -> dict:
    return json.loads((shared_recordings / f"{name}.json").read_text())


@pytest.mark.parametrize("name", NAMES or ["(no shared recordings)"])
def test_every_listed_frame_with_the_satellite_name_alone(shared_recordings, name):
    meta = _meta(shared_recordings, name)
    frames = sdrlink.decode(shared_recordings / meta["recording"], sat=meta["satellite"])
    got = {f.payload for f in frames}  # frames whose check failed are not returned
    expected = {bytes.fromhex(h) for h in meta["frames_hex"]}
    missing = expected - got
    assert not missing, f"{name}: {len(missing)} of {len(expected)} frames missing"
    assert all(f.crc_ok is not False for f in frames)


def test_cli_decodes_a_bpsk_pass_by_satellite_name(shared_recordings, tmp_path, capsys):
    meta = _meta(shared_recordings, "by701")
    out = tmp_path / "f.jsonl"
    argv = ["decode", str(shared_recordings / meta["recording"]), "--sat", meta["satellite"]]
    assert main([*argv, "--jsonl", str(out), "-q"]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert {bytes.fromhex(h) for h in meta["frames_hex"]} <= {
        bytes.fromhex(r["payload"]) for r in rows
    }
    assert {r["protocol"] for r in rows} == {"bpsk"}
    assert all(r["fields"]["transmitter"] for r in rows)
