"""``sdrlink info FILE``: describe a recording and measure its signal level."""

from __future__ import annotations

import argparse
import json
import math
from typing import TYPE_CHECKING, Any

from sdrlink.sources.formats import FORMATS

if TYPE_CHECKING:
    from sdrlink.sources.base import Source

BLOCK = 1 << 18


def register(subparsers: Any) -> None:
    p = subparsers.add_parser(
        "info",
        help="describe a recording (format, rate, frequency, duration, level)",
        description=(
            "Print what sdrlink knows about a recording: format and datatype, complex IQ\n"
            "or real audio, sample rate, centre frequency, start time, length, and the\n"
            "signal level (RMS and peak in dBFS, where full scale is an I, Q or audio\n"
            "value of 1), measured by streaming over the whole file."
        ),
        epilog="examples:\n  sdrlink info pass.sigmf-meta\n"
        "  sdrlink info dump.cu8 --rate 1.024M --freq 436.7M\n"
        "  sdrlink info pass.wav --json",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "file",
        help="recording: .sigmf-meta/.sigmf-data/.sigmf, .cu8, .cs8, "
        ".cs16, .cf32/.cfile/.raw or .wav",
    )
    p.add_argument(
        "--format", dest="fmt", choices=FORMATS, help="file format (default: from the extension)"
    )
    p.add_argument(
        "--rate",
        help="sample rate, e.g. 250k or 1.024M (overrides the file; required for raw formats)",
    )
    p.add_argument("--freq", help="centre frequency, e.g. 436.7M (overrides the file)")
    p.add_argument(
        "--no-level",
        action="store_true",
        help="skip the level measurement (which reads the whole file)",
    )
    p.add_argument("--json", action="store_true", help="print one JSON object")
    p.set_defaults(func=run)


def measure_level(src: Source, block_size: int = BLOCK) -> tuple[float, float, int]:
    """Mean power ``|x|**2``, peak component power ``max(I**2, Q**2)`` and sample count.

    Full scale is a component value of 1, so a full-scale complex tone reads
    0 dBFS for both and a clipped recording peaks at 0 dBFS.
    """
    import numpy as np

    total = 0.0
    peak = 0.0
    n = 0
    for block in src.blocks(block_size):
        x = block.samples
        comp = x.view(np.float32) if np.iscomplexobj(x) else x
        total += float(np.dot(comp, comp))
        peak = max(peak, float(np.abs(comp).max()) ** 2)
        n += len(x)
    return (total / n if n else 0.0), peak, n


def _db(power: float) -> float | None:
    """Power in dB, None for silence (JSON has no -inf)."""
    return round(10 * math.log10(power), 2) if power > 0 else None


def _fmt_db(value: float | None) -> str:
    return "-inf" if value is None else f"{value:.1f}"


def _hz(value: float | None) -> str:
    if value is None:
        return "unknown"
    for scale, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(value) >= scale:
            return f"{value / scale:.6g} {unit}"
    return f"{value:.6g} Hz"


def describe(src: Source, path: str, level: bool) -> dict[str, Any]:
    """The facts ``info`` prints, as a JSON-friendly dict."""
    from sdrlink.sources.writer import format_datetime

    info = src.info
    n = info.num_samples or 0
    d: dict[str, Any] = {
        "file": path,
        "format": info.extra.get("format", "?"),
        "datatype": info.extra.get("datatype", "?"),
        "complex": info.is_complex,
        "sample_rate": info.sample_rate,
        "center_freq": info.center_freq,
        "num_samples": n,
        "duration_s": n / info.sample_rate,
        "start_time": format_datetime(info.start_time) if info.start_time else None,
        "description": info.description or None,
    }
    meta = info.extra.get("metadata")
    if isinstance(meta, dict):
        d["annotations"] = len(meta.get("annotations", []))
    if level:
        mean, peak, _ = measure_level(src)
        d["rms_dbfs"] = _db(mean)
        d["peak_dbfs"] = _db(peak)
    return d


def run(args: argparse.Namespace) -> int:
    from sdrlink.sources.files import open_file
    from sdrlink.units import parse_si

    rate = parse_si(args.rate) if args.rate is not None else None
    freq = parse_si(args.freq) if args.freq is not None else None
    with open_file(args.file, fmt=args.fmt, sample_rate=rate, center_freq=freq) as src:
        d = describe(src, args.file, level=not args.no_level)
    if args.json:
        print(json.dumps(d))
        return 0
    kind = "complex IQ" if d["complex"] else "real (audio)"
    rows = [
        ("file", d["file"]),
        ("format", f"{d['format']} ({d['datatype']})"),
        ("samples", kind),
        ("sample rate", f"{_hz(d['sample_rate'])} ({d['sample_rate']:g} S/s)"),
        ("centre freq", _hz(d["center_freq"])),
        ("duration", f"{d['duration_s']:.3f} s ({d['num_samples']} samples)"),
        ("start time", d["start_time"] or "unknown"),
    ]
    if d["description"]:
        rows.append(("description", d["description"]))
    if "annotations" in d:
        rows.append(("annotations", str(d["annotations"])))
    if "rms_dbfs" in d:
        rms, peak = (_fmt_db(d["rms_dbfs"]), _fmt_db(d["peak_dbfs"]))
        rows.append(("level", f"RMS {rms} dBFS, peak {peak} dBFS"))
    for key, value in rows:
        print(f"{key + ':':13} {value}")
    return 0
