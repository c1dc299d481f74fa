"""``sdrlink live``: decode from a radio (SoapySDR or rtl_tcp) as the samples arrive.

The same engine as ``sdrlink decode`` (:func:`sdrlink.pipeline.run`), fed by a
live source whose reader thread never waits for the decoder. Optionally the
samples are recorded to SigMF while decoding. Ctrl-C ends the run cleanly:
receivers are flushed, outputs closed (the recording renamed into place, the
database committed) and the exit code is 130 (143 for SIGTERM), as for decode.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any, TextIO

import numpy as np

from sdrlink import interrupt
from sdrlink.blocks import SampleBlock
from sdrlink.cli import common
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.pipeline import RunStats, Sink
from sdrlink.progress import ClearsLine, TerminalLine
from sdrlink.sources.recorder import Recorder

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


class StatusLine(TerminalLine):
    """One self-refreshing line on stderr: level, losses, frames. Only on a terminal."""

    def __init__(self, stream: TextIO | None = None, hz: float = 2.0, force: bool = False) -> None:
        super().__init__(stream, force, hz)

    def update(self, block: SampleBlock, stats: RunStats, source: Any) -> None:
        if not self.due():
            return
        x = block.samples
        power = float(np.vdot(x, x).real) / max(len(x), 1)
        level = 10 * np.log10(power) if power > 0 else -np.inf
        info = source.info
        live = getattr(source, "stats", None)
        overflows = getattr(live, "overflows", 0)
        lost = stats.lost_samples
        self.draw(
            f"{block.stop / info.sample_rate:8.1f} s  level {level:6.1f} dBFS  "
            f"frames {stats.frames} ({stats.valid_frames} ok)  overflows {overflows}  "
            f"lost {lost} samples in {stats.gaps} gap(s)  "
            f"buffer {100 * getattr(source, 'buffer_fill', 0.0):3.0f}%"
        )


def run(args: argparse.Namespace) -> int:
    from sdrlink.pipeline import run as run_pipeline
    from sdrlink.sinks import TerminalSink
    from sdrlink.sources.live import open_radio

    modes, satellite = common.modes_from_args(args)
    freq = args.freq
    if freq is None and satellite is not None:
        freq = satellite.frequency_hz
    if freq is None:
        raise ConfigError("say which frequency to tune: --freq HZ (or --sat NAME)")
    if args.duration is not None and not args.duration > 0:
        raise ConfigError("--duration must be positive")
    status = StatusLine(force=False)
    if args.no_status:
        status.enabled = False

    def notify(message: str) -> None:
        status.clear()
        print(f"sdrlink: {message}", file=sys.stderr, flush=True)

    source = open_radio(
        args.device,
        frequency=freq,
        sample_rate=args.rate,
        gain=args.gain,
        ppm=args.ppm,
        antenna=args.antenna,
        bandwidth=args.bandwidth,
        channel=args.rx_channel,
        buffer_seconds=args.buffer,
        give_up_after=args.give_up,
        duration=args.duration,
        notify=notify,
    )
    recorder: Recorder | None = None
    stats: RunStats | None = None
    with source:
        info = source.info
        try:
            source.wait_started(timeout=max(args.give_up, 5.0))
        except KeyboardInterrupt:
            print("sdrlink: stopped before any samples arrived", file=sys.stderr)
            return interrupt.exit_code()
        hub, server = _web(args, freq)
        receivers = common.build_receivers(modes, info)
        stages = common.build_stages(args, info, satellite)
        sinks = common.build_sinks(args, args.device, modes, terminal=False)
        if not args.quiet:
            stream: Any = ClearsLine(sys.stdout, status) if status.enabled else sys.stdout
            sinks.insert(0, TerminalSink(stream=stream, show_bad=args.include_bad))
        if hub is not None:
            sinks.append(_HubSink(hub, args.sat or ""))
        if args.record:
            kind = args.record_format or ("cu8" if args.device.startswith("rtl_tcp") else "cf32_le")
            recorder = Recorder(args.record, source, kind, args.device)

        def on_block(block: SampleBlock, run_stats: RunStats) -> None:
            if recorder is not None:
                recorder(block, run_stats)
            status.update(block, run_stats, source)
            if hub is not None:
                hub.spectrum(block.samples, info.center_freq, info.sample_rate)

        try:
            stats = run_pipeline(
                source,
                receivers,
                sinks,
                stages,
                block_size=args.block_size,
                on_block=on_block,
                keep_frames=False,
            )
        finally:
            status.clear()
            if recorder is not None:
                recorder.close()
            if server is not None:
                server.stop()
    _summary(stats, source, args.record if recorder is not None else None)
    return interrupt.exit_code() if stats is not None and stats.interrupted else 0


class _HubSink(Sink):
    """Frames to the web page."""

    def __init__(self, hub: Any, satellite: str) -> None:
        self.hub, self.satellite = hub, satellite

    def write(self, frame: Frame) -> None:
        from sdrlink.station.files import frame_record

        self.hub.frame(frame_record(frame, self.satellite))


def _web(args: argparse.Namespace, freq: float) -> tuple[Any, Any]:
    """The hub and the started web server for --web (or None, None)."""
    if not args.web:
        if args.web_token:
            raise ConfigError("--web-token needs --web HOST:PORT")
        return None, None
    from sdrlink.web.hub import Hub
    from sdrlink.web.server import WebServer, parse_bind

    host, port = parse_bind(args.web)
    hub = Hub(
        "live",
        {"device": args.device or "SoapySDR default", "state": f"live at {freq / 1e6:.4f} MHz"},
    )
    server = WebServer(hub, host, port, token=args.web_token).start()
    print(f"sdrlink: web page at {server.url}", file=sys.stderr, flush=True)
    return hub, server


def _summary(stats: RunStats | None, source: Any, record: str | None) -> None:
    if stats is None:
        return
    live = source.stats
    seconds = (stats.samples + stats.lost_samples) / source.info.sample_rate
    print(
        f"{stats.summary()}, in {seconds:.1f} s; "
        f"{stats.gaps} gap(s), {stats.lost_samples} samples lost "
        f"({live.overflows} device overflow(s), {live.buffer_dropped} dropped by a slow "
        f"decoder, {live.restarts} reconnect(s))",
        file=sys.stderr,
    )
    if stats.interrupted:
        print("sdrlink: stopped; outputs are complete up to here", file=sys.stderr)
    if record:
        print(f"sdrlink: recorded to {record}", file=sys.stderr)
