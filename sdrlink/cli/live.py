"""``sdrlink live``: decode from a radio (SoapySDR or rtl_tcp) as the samples arrive.

The same engine as ``sdrlink decode`` (:func:`sdrlink.pipeline.run`), fed by a
live source whose reader thread never waits for the decoder. Optionally the
samples are recorded to SigMF while decoding. Ctrl-C ends the run cleanly:
receivers are flushed, outputs closed (the recording renamed into place, the
database committed) and the exit code is 130 (143 for SIGTERM), as for decode.
"""

from __future__ import annotations

import argparse
from typing import Any

from sdrlink.cli import common

RECORD_TYPES = ("cf32_le", "ci16_le", "ci8", "cu8")


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "live",
        help="decode frames live from a radio (SoapySDR or rtl_tcp)",
        description=(
            "Receive from a SoapySDR radio or an rtl_tcp server and decode frames as they "
            "arrive, printing one line per frame. A status line (level, lost samples, frames) "
            "is shown on a terminal. Ctrl-C stops cleanly; every output stays valid."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink live --device driver=rtlsdr --freq 436.7M --rate 1.024M --gain 40 \\\n"
            "      --protocol lora --sf 10 --bw 125k --jsonl frames.jsonl\n"
            "  sdrlink live --device rtl_tcp=192.168.1.20:1234 --sat US01 --rate 1.024M \\\n"
            "      --tle amateur.tle --station 52.0,4.4,10 --record pass.sigmf-meta\n"
            "  sdrlink devices            # what SoapySDR can open\n"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    g = p.add_argument_group("radio")
    g.add_argument(
        "--device",
        default="",
        metavar="ARGS",
        help="SoapySDR device arguments ('driver=rtlsdr,serial=...') or rtl_tcp=HOST:PORT",
    )
    g.add_argument(
        "--freq",
        type=common.si_arg,
        metavar="HZ",
        help="centre frequency (default with --sat: the catalogue frequency)",
    )
    g.add_argument(
        "--rate", type=common.si_arg, default=1.024e6, metavar="SPS", help="sample rate (1.024M)"
    )
    g.add_argument(
        "--gain", metavar="DB|EL=DB,..|agc", help="overall gain, per element gains, or agc"
    )
    g.add_argument("--ppm", type=float, metavar="P", help="frequency correction (ppm)")
    g.add_argument("--antenna", metavar="NAME", help="antenna port (SoapySDR)")
    g.add_argument(
        "--bandwidth", type=common.si_arg, metavar="HZ", help="front-end filter bandwidth"
    )
    g.add_argument(
        "--rx-channel", type=int, default=0, metavar="N", help="receive channel of the device"
    )
    g.add_argument(
        "--duration", type=float, metavar="S", help="stop after S seconds of signal (gaps included)"
    )
    g.add_argument(
        "--buffer", type=float, default=2.0, metavar="S", help="seconds of samples buffered (2)"
    )
    g.add_argument(
        "--give-up",
        type=float,
        default=30.0,
        metavar="S",
        help="retry a lost device for this long before failing (30)",
    )
    g.add_argument(
        "--block-size",
        type=common.positive_int,
        default=1 << 16,
        metavar="N",
        help=argparse.SUPPRESS,
    )
    common.add_protocol_args(p)
    common.add_doppler_args(p)
    common.add_sink_args(p)
    r = p.add_argument_group("recording")
    r.add_argument("--record", metavar="PATH", help="also record the samples as SigMF")
    r.add_argument(
        "--record-format",
        choices=RECORD_TYPES,
        help="recording datatype (default: cu8 for rtl_tcp, cf32_le otherwise)",
    )
    w = p.add_argument_group("web page")
    w.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="serve a live page: spectrum, waterfall, frames (loopback unless --web-token)",
    )
    w.add_argument("--web-token", metavar="TOKEN", help="token the page requires")
    p.add_argument("--no-status", action="store_true", help="no status line")
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.cli.live_run import run as run_live

    return run_live(args)


def __getattr__(name: str) -> Any:
    """``StatusLine`` and ``Recorder`` as before, loaded with the command's code."""
    if name in ("StatusLine", "Recorder"):
        from sdrlink.cli import live_run

        return getattr(live_run, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
