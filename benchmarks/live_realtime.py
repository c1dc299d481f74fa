"""Does live decoding keep up? A loopback rtl_tcp server streams at 2.4 Msps.

The server (tests/rtltcp_server.py, a separate process on 127.0.0.1) loops a
simulated LoRa recording at the real-time rate for ``--seconds`` (60 by
default); this process receives it through :class:`RtlTcpSource` and decodes
one LoRa configuration with the normal pipeline. Like a real rtl_tcp server,
the test server skips data when the client falls behind, and the client drops
data when its decoder does: either counts as "did not keep up".

    .venv/bin/python benchmarks/live_realtime.py --seconds 60
    .venv/bin/python benchmarks/live_realtime.py --seconds 10 --sf 7
    .venv/bin/python benchmarks/live_realtime.py --gateway 8 --seconds 600   # 8 ch x SF7-12
    .venv/bin/python benchmarks/live_realtime.py --gateway 8 --rate 10M --seconds 60

Above 3.2 Msps (where rtl_tcp and RTL-SDRs stop) the loopback server stands in
for a HackRF-rate stream: the rtl_tcp source's rate check is left out.

With ``--gateway N`` the looped recording is the software-gateway capture of
``lora_gateway.py`` (N channels 200 kHz apart, frames of SF7..12 from an
independent transmitter, ``--capture-seconds`` long) and the decoder takes
every channel and SF7..12 (``--gateway-sf``; the 8 x 6 receiver chains of a
hardware gateway chip), as ``lora_gateway.py --sf 7,8,9,10,11,12`` does.

Prints samples received and lost, frames decoded vs sent, and CPU load
(decoder process CPU seconds per wall second; 1.0 = one core busy).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sdrlink.units import parse_si  # noqa: E402

RTL_MAX_RATE = 3.2e6


def _fast_stream_class() -> type:
    """RtlTcpSource without its RTL-SDR rate check, for a HackRF-rate stream.

    A real rtl_tcp server stops at 3.2 Msps (and sdrlink refuses more); a HackRF is
    read live through SoapySDR, which needs the radio. The loopback server stands in
    for such a stream: the same bytes per second (8-bit IQ) through the same
    threaded, bounded-buffer live source and pipeline.
    """
    from sdrlink.sources.rtltcp import RtlTcpSource

    class FastStream(RtlTcpSource):
        def _check_settings(self) -> None:
            pass

    return FastStream


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=60.0, help="how long to stream (60)")
    p.add_argument("--rate", default=2.4e6, help="sample rate (2.4e6; 10M: HackRF-like)")
    p.add_argument("--sf", type=int, default=9, help="LoRa spreading factor (9)")
    p.add_argument("--bw", type=float, default=125e3, help="LoRa bandwidth (125e3)")
    p.add_argument("--frames", type=int, default=4, help="frames per loop of the recording")
    p.add_argument("--gateway", type=int, default=0, metavar="N", help="N-channel gateway capture")
    p.add_argument("--capture-seconds", type=float, default=20.0, help="gateway capture length")
    p.add_argument(
        "--gateway-sf", default="7,8,9,10,11,12", help="the gateway decoder's --sf (7..12)"
    )
    p.add_argument("--capture-frames", type=int, default=60, help="frames in the gateway capture")
    p.add_argument("--keep", metavar="DIR", help="keep (and reuse) the gateway capture here")
    args = p.parse_args(argv)
    if isinstance(args.rate, str):
        args.rate = parse_si(args.rate)
    if not 0 < args.seconds <= 600:
        p.error("--seconds must be in (0, 600]")

    from rtltcp_server import lora_recording, to_cu8

    from sdrlink.pipeline import run
    from sdrlink.protocols import get_protocol
    from sdrlink.sources.rtltcp import RtlTcpSource

    total = round(args.seconds * args.rate)
    truth_keys: set[tuple[str, int, int]] | None = None
    with tempfile.TemporaryDirectory() as tmp:
        if args.gateway:
            from _gateway import SYNC_WORD, cached_capture, eu868_like

            where = Path(args.keep or tmp)
            where.mkdir(parents=True, exist_ok=True)
            channels = eu868_like(args.gateway)
            cap, truth, _ = cached_capture(
                where,
                args.rate,
                channels,
                args.capture_seconds,
                args.capture_frames,
                1,
                (-5.0, 10.0),
                10.0,
                "cu8",
                bool(args.keep),
            )
            path = str(cap)
            loop = round(args.capture_seconds * args.rate)
            expected = sum(
                1
                for k in range(total // loop + 1)
                for f in truth
                if k * loop + f.start + f.length <= total
            )
            truth_keys = {(f.payload.hex(), f.sf, round(f.channel_hz)) for f in truth}
            options = {
                "sf": args.gateway_sf,
                "bw": args.bw,
                "channels": channels,
                "sync_word": SYNC_WORD,
            }
            what = f"LoRa {len(channels)} channels x SF {args.gateway_sf} (gateway capture)"
        else:
            payloads = [f"benchmark frame {i}".encode() for i in range(args.frames)]
            x, starts = lora_recording(payloads, args.rate, sf=args.sf, bw=args.bw, gap_s=0.25)
            gap = round(0.25 * args.rate)
            frame_len = (starts[1] - starts[0] - gap) if len(starts) > 1 else len(x) - 2 * gap
            expected = sum(
                1
                for k in range(total // len(x) + 1)
                for s in starts
                if k * len(x) + s + frame_len <= total
            )
            path = os.path.join(tmp, "loop.cu8")
            Path(path).write_bytes(to_cu8(x))
            options = {"sf": args.sf, "bw": args.bw}
            what = f"LoRa SF{args.sf} BW {args.bw / 1e3:g} kHz, one configuration"
        server = subprocess.Popen(
            [
                sys.executable,
                str(ROOT / "tests" / "rtltcp_server.py"),
                path,
                "--rate",
                str(args.rate),
                "--seconds",
                str(args.seconds),
                "--host",
                "127.0.0.1",
                "--time-limit",
                str(args.seconds + 60),
            ],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert server.stdout is not None
            port = int(server.stdout.readline().split()[1])
            source_class = RtlTcpSource if args.rate <= RTL_MAX_RATE else _fast_stream_class()
            src = source_class(
                "127.0.0.1",
                port,
                frequency=436.7e6,
                sample_rate=args.rate,
                duration=args.seconds,
                give_up_after=2.0,
                buffer_seconds=2.0,
            )
            rx = get_protocol("lora").make_receiver(options, src.info)
            max_fill = 0.0

            def on_block(block, stats) -> None:
                nonlocal max_fill
                max_fill = max(max_fill, src.buffer_fill)

            t0, c0 = time.perf_counter(), time.process_time()
            with src:
                try:
                    stats = run(src, [rx], block_size=1 << 18, on_block=on_block)
                except Exception as exc:  # the server ended early: report what we have
                    print(f"stream ended: {exc}")
                    raise
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            summary = json.loads(server.stdout.readline() or "{}")
            server.wait(timeout=30)
        finally:
            if server.poll() is None:
                server.kill()
    child = resource.getrusage(resource.RUSAGE_CHILDREN)
    server_dropped = summary.get("dropped_samples", -1)
    good = sum(
        1
        for f in stats.frame_list
        if f.crc_ok
        and (
            truth_keys is None
            or (f.payload.hex(), f.fields["sf"], round(f.fields["channel_hz"])) in truth_keys
        )
    )
    kept_up = stats.lost_samples == 0 and server_dropped == 0 and good >= expected
    print(f"stream:   {args.rate / 1e6:g} Msps cu8 over 127.0.0.1 for {args.seconds:g} s")
    print(f"decoder:  {what}")
    print(f"received: {stats.samples} samples in {wall:.1f} s wall")
    print(
        f"lost:     {stats.lost_samples} by the client ({src.stats.buffer_dropped} dropped "
        f"by a slow decoder), {server_dropped} skipped by the server; buffer peak "
        f"{100 * max_fill:.0f}%"
    )
    print(f"frames:   {good} decoded with valid CRC of {expected} sent")
    print(
        f"CPU:      decoder process {cpu:.1f} s = {100 * cpu / wall:.0f}% of one core "
        f"(server process {child.ru_utime + child.ru_stime:.1f} s)"
    )
    print(f"kept up:  {'YES' if kept_up else 'NO'}")
    return 0 if kept_up else 1


if __name__ == "__main__":
    sys.exit(main())
