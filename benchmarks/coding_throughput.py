"""Speed of the codings: soft Viterbi, Reed-Solomon, AO-40 FEC blocks, CRCs.

Usage: python benchmarks/coding_throughput.py [--bits 2000000] [--repeat 3]

Prints decoded Mbit/s of the soft-decision Viterbi decoders (streaming with
traceback, and whole blocks) for K=5, 7 and 9 on noisy symbols, Reed-Solomon
(255,223) decodes per second with 0, 8 and 16 byte errors and for garbage
(refused), AO-40 FEC blocks per second (deinterleave, K=7 Viterbi, RS) and
CRC throughput. CPU time of one process (time.process_time), best of
``--repeat``.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import table  # noqa: E402

from sdrlink.coding.convolutional import (  # noqa: E402
    CCSDS,
    ConvCode,
    ViterbiStream,
    conv_encode,
    viterbi_block,
)
from sdrlink.coding.crc import CRC16_ARC, CRC32C, crc16_x25  # noqa: E402
from sdrlink.coding.reedsolomon import rs_decode, rs_encode  # noqa: E402
from sdrlink.framing import ao40  # noqa: E402


def best(fn: Callable[[], object], repeat: int) -> float:
    """Smallest CPU time of ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        t0 = time.process_time()
        fn()
        times.append(time.process_time() - t0)
    return min(times)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--bits", type=int, default=2_000_000, help="Viterbi bits per run")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    rows: list[list[object]] = []

    codes = [
        ("K=5 (AX5043)", ConvCode(5, (0o23, 0o35), (True, False))),
        ("K=7 CCSDS", CCSDS),
        ("K=9 (753, 561)", ConvCode(9, (0o753, 0o561))),
    ]
    n = args.bits
    for name, code in codes:
        bits = rng.integers(0, 2, n).astype(np.uint8)
        soft = (2.0 * conv_encode(bits, code) - 1 + rng.normal(0, 0.7, 2 * n)).astype(np.float32)

        def stream(soft: np.ndarray = soft, code: ConvCode = code) -> None:
            dec = ViterbiStream(code)
            for s in range(0, len(soft), 65536):
                dec.process(soft[s : s + 65536])
            dec.flush()

        t = best(stream, args.repeat)
        rows.append([f"Viterbi {name}, streaming", f"{n / t / 1e6:.1f} Mbit/s"])
        blk = soft[: 2 * 5000]
        reps = max(1, n // 5000)
        t = best(
            lambda blk=blk, code=code, reps=reps: [viterbi_block(blk, code) for _ in range(reps)],
            1,
        )
        rows.append([f"Viterbi {name}, 5000-bit blocks", f"{reps * 5000 / t / 1e6:.1f} Mbit/s"])

    data = rng.integers(0, 256, 223, dtype=np.uint8).tobytes()
    clean = data + rs_encode(data)
    for nerr in (0, 8, 16):
        block = bytearray(clean)
        for pos in rng.choice(255, nerr, replace=False):
            block[pos] ^= int(rng.integers(1, 256))
        frozen = bytes(block)
        t = best(lambda frozen=frozen: [rs_decode(frozen) for _ in range(400)], args.repeat)
        rows.append([f"RS(255,223) decode, {nerr} errors", f"{400 / t:.0f} /s"])
    garbage = rng.integers(0, 256, 255, dtype=np.uint8).tobytes()
    t = best(lambda: [rs_decode(garbage) for _ in range(400)], args.repeat)
    rows.append(["RS(255,223) decode, garbage (refused)", f"{400 / t:.0f} /s"])
    t = best(lambda: [rs_encode(data) for _ in range(400)], args.repeat)
    rows.append(["RS(255,223) encode", f"{400 / t:.0f} /s"])

    payload = rng.integers(0, 256, 256, dtype=np.uint8).tobytes()
    block = ao40.encode_block(payload, ao40.LONG)
    soft = (2.0 * block - 1 + rng.normal(0, 0.6, len(block))).astype(np.float32)
    assert ao40.decode_block(soft, ao40.LONG) is not None
    t = best(lambda: [ao40.decode_block(soft, ao40.LONG) for _ in range(20)], args.repeat)
    rows.append(["AO-40 FEC block (5200 symbols) decode", f"{20 / t:.0f} /s"])

    buf = rng.integers(0, 256, 1 << 16, dtype=np.uint8).tobytes()
    for name, fn in (
        ("CRC-16/X.25 (binascii)", crc16_x25),
        ("CRC-16/ARC (table)", CRC16_ARC),
        ("CRC-32C (table)", CRC32C),
    ):
        t = best(lambda fn=fn: fn(buf), args.repeat)
        rows.append([name, f"{len(buf) / t / 1e6:.2f} MB/s"])

    print(table(["workload", "CPU-time rate"], rows))


if __name__ == "__main__":
    main()
