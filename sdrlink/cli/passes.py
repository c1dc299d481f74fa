"""``sdrlink passes``: upcoming passes of a satellite over a ground station."""

from __future__ import annotations

import argparse
import datetime as dt
import sys

from sdrlink.cli import common


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "passes",
        help="predict passes of a satellite from a TLE",
        description=(
            "List the passes of a satellite over a ground station: rise (AOS), culmination "
            "and set (LOS) times in UTC, maximum elevation, and the largest Doppler shift and "
            "Doppler rate at the given frequency."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink passes --tle amateur.tle --sat 'ISS (ZARYA)' --station 52.2,0.12,30\n"
            "  sdrlink passes --tle tles.txt --sat 25544 --station 52.2,0.12,30 --hours 48 "
            "--freq 437.8M --min-elevation 10"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--tle", metavar="FILE", required=True, help="TLE file (2- or 3-line sets)")
    p.add_argument(
        "--sat",
        metavar="NAME|NORAD",
        help="satellite in the TLE file, by name (any case) or NORAD id; "
        "may be left out when the file holds one satellite",
    )
    p.add_argument(
        "--station", metavar="LAT,LON,ALT", required=True, help="degrees, degrees, metres"
    )
    p.add_argument("--hours", type=float, default=24.0, help="search window (default 24 h)")
    p.add_argument(
        "--freq",
        type=common.si_arg,
        metavar="HZ",
        help="carrier frequency for the Doppler columns (e.g. 436.7M)",
    )
    p.add_argument(
        "--min-elevation",
        type=float,
        default=0.0,
        metavar="DEG",
        help="only passes rising above this elevation (default 0)",
    )
    p.add_argument(
        "--start",
        type=common.parse_time,
        metavar="TIME",
        help="start of the window, ISO 8601 UTC (default: now)",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.doppler.orbit import make_orbit
    from sdrlink.doppler.passes import find_passes

    orbit = make_orbit(args.tle, args.sat, args.station)
    start = args.start or dt.datetime.now(dt.timezone.utc)
    passes = find_passes(
        orbit, start, args.hours, min_elevation=args.min_elevation, freq_hz=args.freq
    )
    age = (start - orbit.epoch).total_seconds() / 86400.0
    print(
        f"{orbit.tle.label} (NORAD {orbit.tle.norad}) from {orbit.station}, "
        f"{start:%Y-%m-%d %H:%M:%S} UTC + {args.hours:g} h; TLE epoch "
        f"{orbit.epoch:%Y-%m-%d %H:%M} UTC ({age:+.1f} days)"
    )
    from sdrlink.doppler.tle import stale_warning

    times = [start, *(p.aos for p in passes)]
    furthest = max(times, key=lambda t: abs((t - orbit.epoch).total_seconds()))
    text = stale_warning(orbit.tle.label, orbit.epoch, furthest)
    if text:
        print(f"sdrlink: warning: {text}", file=sys.stderr)
    if not passes:
        print(f"no passes above {args.min_elevation:g} degrees")
        return 0
    dop = args.freq is not None
    header = f"{'AOS (UTC)':19s}  {'culm.':8s}  {'LOS':8s}  {'dur':>5s}  {'max el':>6s}"
    header += f"  {'az AOS->LOS':>11s}"
    if dop:
        header += f"  {'max Doppler':>12s}  {'max rate':>10s}"
    print(header)
    for ps in passes:
        line = (
            f"{ps.aos:%Y-%m-%d %H:%M:%S}  {ps.tca:%H:%M:%S}  {ps.los:%H:%M:%S}  "
            f"{ps.duration_s / 60:4.1f}m  {ps.max_elevation:5.1f}°  "
            f"{ps.aos_azimuth:4.0f}°->{ps.los_azimuth:3.0f}°"
        )
        if dop:
            line += f"  {ps.max_doppler_hz / 1e3:8.2f} kHz  {ps.max_doppler_rate_hz_s:5.1f} Hz/s"
        if ps.clipped:
            line += "  (clipped by the window)"
        print(line)
    return 0
