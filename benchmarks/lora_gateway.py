"""A software LoRa gateway: many channels x SF7..12 from one wideband capture, one command.

Writes an 8-bit IQ capture (default: 2.4 Msps cu8 as an RTL-SDR gives it, 8
channels of 125 kHz spaced 200 kHz as in EU868, 60 frames of SF7..12 on all
of them, overlapping in time; see ``_gateway.py`` for the transmitter and
the channel) and decodes it with

    sdrlink decode cap.cu8 --rate 2.4M -p lora --bw 125k --sf all --sync 0x34 \\
        --channel=-700k,-500k,...,+700k --jsonl out.jsonl -q

Prints the frames decoded (payload, SF and channel all right, CRC valid) of
those sent, the decoder's CPU time (user + sys of its process, the median of
``--repeat`` runs), how many times faster than real time that is on one
core, and its peak memory. ``--processes N`` splits the channels over N
decoder processes run at once (CPU time summed, wall time shown).

    python benchmarks/lora_gateway.py                       # 20 s, 2.4 Msps, 8 channels
    python benchmarks/lora_gateway.py --seconds 60          # memory stays flat
    python benchmarks/lora_gateway.py --rate 10M --channels 40 --frames 200 --format cs8
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))

from _common import table  # noqa: E402
from _gateway import SYNC_WORD, cached_capture, eu868_like, transmitter_name  # noqa: E402

from sdrlink.sources.files import parse_si  # noqa: E402

# The decoder runs under this probe, which writes its own peak memory (VmHWM) to a file:
# wait4's ru_maxrss is no good here, as Linux carries the spawning process's peak (this
# one holds the capture) into the child at exec.
PEAK_PROBE = """
import os, sys
from sdrlink.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
try:
    with open("/proc/self/status") as f:
        kib = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["SDRLINK_PEAK_FILE"], "w") as out:
        out.write(kib)
except OSError:
    pass
sys.exit(code)
"""


def sdrlink_cmd() -> list[str]:
    return [sys.executable, "-c", PEAK_PROBE]


def decode(
    path: Path, fmt: str, fs: float, channels: list[float], sf: str, processes: int, out: Path
) -> tuple[float, float, float, list[dict]]:
    """Run the decoder(s); (CPU seconds, wall seconds, peak RSS MiB, frames)."""
    groups = [channels[i::processes] for i in range(processes)]
    procs = []
    t0 = time.perf_counter()
    for g, chans in enumerate(groups):
        jsonl = out / f"frames{g}.jsonl"
        jsonl.unlink(missing_ok=True)
        cmd = sdrlink_cmd() + [
            "decode",
            str(path),
            "--format",
            fmt,
            "--rate",
            f"{fs:.0f}",
            "-p",
            "lora",
            "--bw",
            "125k",
            "--sf",
            sf,
            "--sync",
            hex(SYNC_WORD),
            "--channel=" + ",".join(f"{c:+.0f}" for c in chans),
            "--jsonl",
            str(jsonl),
            "-q",
            "--no-progress",
        ]
        peak = out / f"peak{g}.txt"
        peak.unlink(missing_ok=True)
        env = dict(os.environ, SDRLINK_PEAK_FILE=str(peak))
        procs.append((subprocess.Popen(cmd, stderr=subprocess.PIPE, env=env), jsonl, peak))
    cpu, rss = 0.0, 0.0
    frames: list[dict] = []
    for p, jsonl, peak in procs:
        _, status, ru = os.wait4(p.pid, 0)
        p.returncode = os.waitstatus_to_exitcode(status)
        err = p.stderr.read().decode() if p.stderr else ""
        if p.returncode != 0:
            raise SystemExit(f"decoder failed ({p.returncode}): {err.strip()}")
        cpu += ru.ru_utime + ru.ru_stime
        own = float(peak.read_text()) if peak.exists() else float("nan")  # KiB, or unknown
        rss = max(rss, own / 1024)
        frames += [json.loads(line) for line in jsonl.read_text().splitlines() if line]
    return cpu, time.perf_counter() - t0, rss, frames


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0, help="capture length (20)")
    ap.add_argument("--rate", default="2.4M", help="sample rate (2.4M)")
    ap.add_argument("--channels", type=int, default=8, help="channels, 200 kHz apart (8)")
    ap.add_argument("--frames", type=int, default=60, help="frames in the capture (60)")
    ap.add_argument("--format", choices=["cu8", "cs8"], default="cu8", help="cu8 (RTL-SDR)")
    ap.add_argument("--sf", default="all", help="the decoder's --sf (all)")
    ap.add_argument("--snr", default="-5,10", help="SNR range of the frames, dB (-5,10)")
    ap.add_argument("--ppm", type=float, default=10.0, help="transmitter crystal error (10)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1, help="decoder runs; the median is shown")
    ap.add_argument("--processes", type=int, default=1, help="decoder processes at once (1)")
    ap.add_argument("--keep", metavar="DIR", help="write the capture here and keep it")
    a = ap.parse_args(argv)
    fs = parse_si(a.rate)
    channels = eu868_like(a.channels)
    snr = tuple(float(v) for v in a.snr.split(","))
    with tempfile.TemporaryDirectory() as tmp:
        where = Path(a.keep) if a.keep else Path(tmp)
        where.mkdir(parents=True, exist_ok=True)
        t0 = time.perf_counter()
        path, truth, reused = cached_capture(
            where, fs, channels, a.seconds, a.frames, a.seed, snr, a.ppm, a.format, bool(a.keep)
        )
        how = (
            "kept from an earlier run" if reused else f"written in {time.perf_counter() - t0:.0f} s"
        )
        print(
            f"capture: {a.seconds:g} s at {fs / 1e6:g} Msps {a.format}, {len(channels)} channels, "
            f"{len(truth)} frames from {transmitter_name()} ({how})"
        )
        runs = [
            decode(path, a.format, fs, channels, a.sf, a.processes, where) for _ in range(a.repeat)
        ]
    cpu = statistics.median(r[0] for r in runs)
    wall = statistics.median(r[1] for r in runs)
    rss = max(r[2] for r in runs)
    frames = runs[0][3]
    want = {(f.payload.hex(), f.sf, round(f.channel_hz)) for f in truth}
    got = {
        (f["payload"], f["fields"]["sf"], round(f["fields"]["channel_hz"]))
        for f in frames
        if f.get("crc_ok")
    }
    found = len(want & got)
    extra = len(got - want)
    by_sf = {}
    for f in truth:
        key = (f.payload.hex(), f.sf, round(f.channel_hz))
        ok, n = by_sf.get(f.sf, (0, 0))
        by_sf[f.sf] = (ok + (key in got), n + 1)
    rows = [
        [
            f"{a.seconds:g} s",
            f"{fs / 1e6:g} M",
            len(channels),
            a.sf,
            a.processes,
            f"{found}/{len(truth)}",
            extra,
            cpu,
            a.seconds / cpu,
            wall,
            f"{rss:.0f}",
        ]
    ]
    print(
        table(
            [
                "length",
                "rate",
                "channels",
                "SF",
                "procs",
                "frames",
                "other",
                "CPU s",
                "x real time/core",
                "wall s",
                "peak MiB",
            ],
            rows,
        )
    )
    print("per SF: " + ", ".join(f"SF{sf} {ok}/{n}" for sf, (ok, n) in sorted(by_sf.items())))
    if a.repeat > 1:
        print("CPU s of each run: " + ", ".join(f"{r[0]:.2f}" for r in runs))
    return 0 if found == len(truth) else 1


if __name__ == "__main__":
    sys.exit(main())
