"""Long fuzz run: every parser and deframer on many random and mutated inputs.

The targets are those of the property tests (``tests/fuzz_util.py``); here each
runs for ``--minutes`` with hypothesis generating inputs (no deadline, no
shrinking, a fresh seed per round of examples). A crash is any exception other
than the documented ones (SdrlinkError: InputError, ConfigError, DeviceError) or
a broken round trip; a false frame is a frame whose check passed that was never
sent. Wrong frames that the format's own check cannot tell from sent ones are
counted apart, as aliases: those of the framings checked by Reed-Solomon alone
that a bit slip (or a burst inverting just the marker) turned into another
codeword, BEESAT-1's, whose blocks carry only a CRC-16 (``RS_ALIASES`` and
``FALSE_ALARMS`` in tests/fuzz_util.py), and LoRa frames wrong only in the last
two payload bytes, which LoRa's CRC takes by XOR alone. Prints one table row per
target; the first few crashes are shown in full.

    .venv/bin/python benchmarks/fuzz.py --minutes 10            # every target
    .venv/bin/python benchmarks/fuzz.py --minutes 1 --targets wav,kiss
"""

from __future__ import annotations

import argparse
import random
import sys
import time
import warnings
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # this checkout's sdrlink, not an installed one
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent / "tests"))

from _common import table  # noqa: E402
from fuzz_util import TARGETS, Target, outcome  # noqa: E402
from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402

ROUND = 500  # examples per hypothesis run; rounds repeat with new seeds until time is up


def fuzz(target: Target, seconds: float, log: list[str]) -> dict:
    """Run ``target`` for ``seconds``; counts of inputs, crashes and false frames."""
    stats = Counter()
    per_framing: Counter = Counter()
    false_by: Counter = Counter()
    aliases_by: Counter = Counter()
    deadline = time.monotonic() + seconds
    t0 = time.monotonic()

    class TimeUp(Exception):
        pass

    def one(value) -> None:
        if time.monotonic() > deadline:
            raise TimeUp
        crash, false, aliases = outcome(target, value)
        stats["inputs"] += 1
        stats["aliases"] += aliases
        if aliases and isinstance(value, dict) and "framing" in value:
            aliases_by[value["framing"]] += aliases
        if isinstance(value, dict) and "framing" in value:
            per_framing[value["framing"]] += 1
        if crash:
            stats["crashes"] += 1
            if stats["crashes"] <= 5:
                log.append(f"[{target.name}] crash: {crash}\n    input: {value!r:.2000}")
        if false:
            stats["false"] += false
            if isinstance(value, dict) and "framing" in value:
                false_by[value["framing"]] += false
            if stats["false"] <= 5:
                log.append(f"[{target.name}] false frame(s): {false}\n    input: {value!r:.2000}")

    while time.monotonic() < deadline:
        run = settings(
            max_examples=ROUND,
            deadline=None,
            database=None,
            phases=[Phase.generate],
            suppress_health_check=list(HealthCheck),
        )(given(target.strategy())(one))
        run = seed(random.getrandbits(64))(run)
        try:
            run()
        except TimeUp:
            break
    stats["seconds"] = time.monotonic() - t0
    stats["framings"] = len(per_framing)
    if false_by:
        log.append(f"[{target.name}] false frames by framing: {dict(false_by)}")
    if aliases_by:
        log.append(f"[{target.name}] aliases by framing: {dict(aliases_by)}")
    if per_framing:
        stats["per_framing_min"] = min(per_framing.values())
    return stats


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--minutes", type=float, default=10.0, help="per target (default 10)")
    ap.add_argument("--targets", default="all", help=f"comma list of: {', '.join(TARGETS)}")
    args = ap.parse_args(argv)
    warnings.simplefilter("ignore", RuntimeWarning)  # NumPy overflow on huge inputs: expected
    names = list(TARGETS) if args.targets == "all" else args.targets.split(",")
    unknown = [n for n in names if n not in TARGETS]
    if unknown:
        ap.error(f"unknown target(s) {', '.join(unknown)}; choose from {', '.join(TARGETS)}")
    rows, log = [], []
    for name in names:
        s = fuzz(TARGETS[name], args.minutes * 60.0, log)
        rows.append(
            [
                name,
                s["inputs"],
                round(s["seconds"], 1),
                s["crashes"],
                s["false"],
                s["aliases"],
                f"{s['framings']} (>= {s['per_framing_min']} each)" if s["framings"] else "-",
            ]
        )
        print(
            f"{name}: {s['inputs']} inputs in {s['seconds']:.0f} s, "
            f"{s['crashes']} crashes, {s['false']} false frames, {s['aliases']} aliases",
            flush=True,
        )
        for line in log:
            print(line, flush=True)
        log.clear()
    print()
    head = ["target", "inputs", "seconds", "crashes", "false frames", "aliases", "framings"]
    print(table(head, rows))
    return 1 if any(r[3] or r[4] for r in rows) else 0


if __name__ == "__main__":
    sys.exit(main())
