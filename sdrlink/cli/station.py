"""``sdrlink station``: an unattended ground station run from one TOML file.

It plans the passes of every configured satellite, takes each one (tuning,
Doppler, rotator, recording, decoding) and idles in between, for as long as
it runs; ``--web`` serves a live page. ``--example-config`` prints a
commented configuration to start from.
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from sdrlink import interrupt
from sdrlink.cli import common
from sdrlink.errors import ConfigError


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "station",
        help="run an unattended ground station (schedule, Doppler, rotator, web page)",
        description=(
            "Plan the passes of the satellites in the config file, and at each pass tune the "
            "radio, remove the TLE Doppler, point the rotator (rotctld), record SigMF and decode "
            "frames into the frame log; idle until the next pass. Runs until Ctrl-C, SIGTERM or "
            "SIGHUP (exit 128+N); "
            "a restart resumes the schedule."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink station --example-config > station.toml\n"
            "  sdrlink station --config station.toml --plan\n"
            "  sdrlink station --config station.toml --web 127.0.0.1:8080\n"
            "  sdrlink station --config station.toml --simulate \\\n"
            "      --clock-start 2026-03-02T01:37:00Z --clock-speed 10 --web 127.0.0.1:8080\n"
            "      # a rehearsal: simulated passes on a clock that starts then, 10x faster\n"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="PATH", help="station configuration (TOML)")
    p.add_argument(
        "--example-config", action="store_true", help="print a commented example config and exit"
    )
    p.add_argument("--plan", action="store_true", help="print the schedule and exit")
    p.add_argument(
        "--web",
        metavar="HOST:PORT",
        help="serve the live page (e.g. 127.0.0.1:8080; elsewhere than loopback needs a token)",
    )
    p.add_argument(
        "--web-token",
        metavar="TOKEN",
        help="token the page requires (default off loopback: generated and printed)",
    )
    p.add_argument("--passes", type=int, metavar="N", help="stop after N passes")
    p.add_argument("--hours", type=float, metavar="H", help="stop after H hours (station clock)")
    p.add_argument("-q", "--quiet", action="store_true", help="no frame lines on the terminal")
    r = p.add_argument_group(
        "rehearsal", "run on simulated passes and/or a clock that starts elsewhere and runs faster"
    )
    r.add_argument(
        "--simulate",
        action="store_true",
        help="simulated radio: each pass's downlink is simulated from its TLE (no antenna)",
    )
    r.add_argument(
        "--clock-start",
        type=common.parse_time,
        metavar="TIME",
        help="start the clock at TIME (UTC)",
    )
    r.add_argument(
        "--clock-speed", type=float, default=1.0, metavar="X", help="clock runs X times faster (1)"
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.station import GroundStation, RealClock, ScaledClock, load_config
    from sdrlink.station.config import EXAMPLE_CONFIG

    if args.example_config:
        sys.stdout.write(EXAMPLE_CONFIG)
        return 0
    if not args.config:
        raise ConfigError(
            "give the station configuration: --config station.toml "
            "(sdrlink station --example-config prints one)"
        )
    if args.passes is not None and args.passes < 1:
        raise ConfigError("--passes must be at least 1")
    if not args.clock_speed > 0:
        raise ConfigError("--clock-speed must be positive")
    config = load_config(args.config)
    if args.clock_start is not None or args.clock_speed != 1.0:
        import datetime as dt

        start = args.clock_start or dt.datetime.now(dt.timezone.utc)
        clock: Any = ScaledClock(start, args.clock_speed)
    else:
        clock = RealClock()
    radio = None
    if args.simulate:
        from sdrlink.station.simradio import SimulatedRadio

        radio = SimulatedRadio(
            clock,
            config.station,
            config.sdr.rate,
            capture_s=None,
            frames=1000,
            first_s=2.0,
            interval_s=15.0,
        )
    hub = server = None
    if args.web and not args.plan:
        from sdrlink.web.hub import Hub
        from sdrlink.web.server import WebServer, parse_bind

        host, port = parse_bind(args.web)
        hub = Hub("station")
        server = WebServer(hub, host, port, token=args.web_token, files_dir=config.passes_dir)
    station = GroundStation(config, clock=clock, radio=radio, hub=hub, echo_frames=not args.quiet)
    if args.plan:
        station.load_state()
        station.refresh_tles()
        station.replan()
        return 0
    if server is not None:
        server.start()
        print(f"sdrlink: web page at {server.url}", file=sys.stderr, flush=True)
    until = None
    if args.hours is not None:
        import datetime as dt

        until = clock.now() + dt.timedelta(hours=args.hours)
    try:  # Ctrl-C, SIGTERM and SIGHUP (sdrlink.interrupt) stop it cleanly
        summary = station.run(max_passes=args.passes, until=until)
    except KeyboardInterrupt:
        station.stop()
        print("sdrlink: station stopped; every file written is complete", file=sys.stderr)
        return interrupt.exit_code()
    finally:
        if server is not None:
            server.stop()
    stopped = summary.stopped_by == "stop"
    if stopped:
        print("sdrlink: station stopped; every file written is complete", file=sys.stderr)
    done = sum(r.status == "done" for r in summary.results)
    frames = sum(r.valid_frames for r in summary.results)
    print(
        f"sdrlink: {summary.passes} pass(es) taken ({done} complete), {frames} valid frame(s)",
        file=sys.stderr,
    )
    return interrupt.exit_code() if stopped else 0
