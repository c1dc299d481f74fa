"""Coverage: frames recovered from the shared real recordings with ``--sat NAME`` alone.

Every recording in ../shared/recordings is decoded as a user would decode it,
told only the satellite's name (the catalogue supplies the rest), and compared
with the distinct frames gr-satellites recovered from it. Printed per family
(the framing's module: AX.25, GomSpace AX100/U482C, CCSDS, AO-40, ...) and per
recording: frames expected, recovered byte for byte, other frames that passed
their check, and the decoding time (CPU seconds of one core, and x real time; each
recording is decoded twice and the second, warm run is timed, so that the imports
of a family's first recording do not count).

    python benchmarks/coverage.py [--shared ../shared] [--per-recording]
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # this checkout's sdrlink

import sdrlink  # noqa: E402
from sdrlink.catalogue import find_satellite  # noqa: E402
from sdrlink.errors import ConfigError  # noqa: E402
from sdrlink.framing import get_framing  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import table  # noqa: E402


def family(meta: dict) -> str:
    """The modem and the framing's module of the recording's transmitter."""
    modulation = str(meta["modulation"]).lower()
    modem = "bpsk" if "psk" in modulation else modulation
    names = [meta["framing"]] + [  # the json's own description may be free text
        str(t.options.get("framing"))
        for t in find_satellite(meta["satellite"]).transmitters
        if float(t.options.get("baud", 0)) == float(meta["baudrate"]) and t.modulation == modulation
    ]
    for name in names:
        try:
            module = get_framing(name).make_deframer.__module__
        except ConfigError:
            continue
        return f"{modem} / {module.rsplit('.', 1)[-1]}"
    return f"{modem} / {meta['framing']}"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    default = Path(__file__).resolve().parents[2] / "shared"
    ap.add_argument("--shared", type=Path, default=default, help="the shared reference folder")
    ap.add_argument("--per-recording", action="store_true", help="also one row per recording")
    a = ap.parse_args(argv)
    root = a.shared / "recordings"
    metas = sorted(root.glob("*.json"))
    if not metas:
        print(f"no recordings in {root}", file=sys.stderr)
        return 2
    fam: dict[str, list[float]] = defaultdict(lambda: [0, 0, 0, 0, 0.0, 0.0])
    rows = []
    warnings.simplefilter("ignore")
    for path in metas:
        meta = json.loads(path.read_text())
        wav = root / meta["recording"]
        sat = find_satellite(meta["satellite"]).name
        sdrlink.decode(wav, sat=sat)  # once for the imports and caches of first use
        t0 = time.process_time()
        frames = sdrlink.decode(wav, sat=sat)
        cpu = time.process_time() - t0
        rec = sdrlink.open(wav)
        seconds = rec.num_samples / rec.sample_rate
        expected = {bytes.fromhex(h) for h in meta["frames_hex"]}
        got = {f.payload for f in frames}
        hit = len(expected & got)
        extra = len(got - expected)
        f = fam[family(meta)]
        for k, v in enumerate((1, len(expected), hit, extra, cpu, seconds)):
            f[k] += v
        rows.append([path.stem, sat, family(meta), f"{hit}/{len(expected)}", extra, cpu])
    if a.per_recording:
        print(table(["recording", "satellite", "family", "frames", "extra", "CPU s"], rows))
        print()
    out = []
    total = [0, 0, 0, 0, 0.0, 0.0]
    for name in sorted(fam):
        n, exp, hit, extra, cpu, secs = fam[name]
        total = [t + v for t, v in zip(total, fam[name], strict=True)]
        out.append([name, int(n), f"{int(hit)}/{int(exp)}", int(extra), cpu, secs / max(cpu, 1e-9)])
    n, exp, hit, extra, cpu, secs = total
    out.append(["all", int(n), f"{int(hit)}/{int(exp)}", int(extra), cpu, secs / max(cpu, 1e-9)])
    print(table(["family", "recordings", "frames", "extra valid", "CPU s", "x real time"], out))
    return 0 if hit == exp else 1


if __name__ == "__main__":
    sys.exit(main())
