"""``sdrlink simulate``: write a SigMF recording of simulated frames with ground truth."""

from __future__ import annotations

import argparse
import re
import sys

from sdrlink.cli import common
from sdrlink.errors import ConfigError

DATATYPES = ["cf32_le", "ci16_le", "ci8", "cu8"]


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "simulate",
        help="simulate a recording (optionally a satellite pass) with ground truth",
        description=(
            "Write a SigMF recording of frames from a protocol's modulator through a channel: "
            "noise at a fixed SNR or following the free-space path loss of a pass, carrier "
            "offset and drift, transmitter and receiver crystal errors, and the Doppler of a "
            "real satellite (from a TLE) over a ground station. The truth of every frame "
            "(payload, SNR, Doppler, carrier offset, elevation) is written as SigMF annotations."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink simulate test --protocol lora --sf 10 --bw 125k --count 5 --snr 0\n"
            "  sdrlink simulate pass --protocol lora --sf 10 --bw 125k --tle amateur.tle \\\n"
            "      --tle-sat ISS --station 52.2,0.12,30 --start 2025-11-20T17:00:00Z --pass \\\n"
            "      --snr-ref 0 --interval 10 --datatype ci16_le\n"
            "  sdrlink simulate drift --protocol lora --sf 12 --bw 125k --count 3 --cfo 15k \\\n"
            "      --drift -200 --tx-ppm 2 --rx-ppm -1"
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "out", metavar="OUT", help="output SigMF recording (base name, .sigmf-meta or .sigmf-data)"
    )
    common.add_protocol_args(p, transmit=True)
    g = p.add_argument_group("recording")
    g.add_argument(
        "--rate", type=common.si_arg, default=250e3, metavar="HZ", help="sample rate (default 250k)"
    )
    g.add_argument(
        "--freq",
        type=common.si_arg,
        metavar="HZ",
        help="centre frequency = nominal carrier (default: catalogue or 436M)",
    )
    g.add_argument(
        "--datatype", choices=DATATYPES, default="cf32_le", help="sample format (default cf32_le)"
    )
    g.add_argument("--seed", type=int, metavar="N", help="random seed (repeatable output)")
    g.add_argument("--force", action="store_true", help="replace an existing recording OUT")
    f = p.add_argument_group("frames")
    f.add_argument("--count", type=int, metavar="N", help="number of frames")
    f.add_argument(
        "--interval",
        type=float,
        default=10.0,
        metavar="S",
        help="seconds between frame starts (default 10)",
    )
    f.add_argument(
        "--first",
        type=float,
        default=1.0,
        metavar="S",
        help="time of the first frame (default 1 s)",
    )
    f.add_argument("--duration", type=float, metavar="S", help="recording length in seconds")
    f.add_argument(
        "--payload",
        metavar="HEX|TEXT",
        help="payload of every frame: hex digits (or 0x...) or text "
        "('text:' forces text); default 'SDRLINK SIM nnnnn'",
    )
    c = p.add_argument_group("channel")
    c.add_argument("--snr", type=float, metavar="DB", help="fixed in-band SNR (default 10 dB)")
    c.add_argument(
        "--snr-ref",
        type=float,
        metavar="DB",
        help="link budget: SNR at --ref-range, falling with free-space loss",
    )
    c.add_argument(
        "--ref-range",
        type=float,
        default=1000.0,
        metavar="KM",
        help="range where the SNR is --snr-ref (default 1000 km)",
    )
    c.add_argument(
        "--cfo", type=common.si_arg, default=0.0, metavar="HZ", help="extra carrier offset"
    )
    c.add_argument("--drift", type=float, default=0.0, metavar="HZ/S", help="carrier drift")
    c.add_argument(
        "--sfo-ppm", type=float, default=0.0, metavar="PPM", help="receiver sample-clock error only"
    )
    c.add_argument(
        "--tx-ppm",
        type=float,
        default=0.0,
        metavar="PPM",
        help="transmitter crystal error (carrier and symbol clock)",
    )
    c.add_argument(
        "--rx-ppm",
        type=float,
        default=0.0,
        metavar="PPM",
        help="receiver crystal error (LO and sample clock)",
    )
    o = p.add_argument_group("satellite pass (Doppler and elevation from a TLE)")
    o.add_argument("--tle", metavar="FILE", help="TLE file")
    o.add_argument(
        "--tle-sat",
        metavar="NAME|NORAD",
        help="satellite in the TLE file (default: --sat's NORAD id or name)",
    )
    o.add_argument("--station", metavar="LAT,LON,ALT", help="ground station")
    o.add_argument(
        "--start",
        type=common.parse_time,
        metavar="TIME",
        help="UTC time of the first sample (ISO 8601)",
    )
    o.add_argument(
        "--pass",
        dest="whole_pass",
        action="store_true",
        help="record the next whole pass after --start (AOS to LOS)",
    )
    o.add_argument(
        "--min-elevation",
        type=float,
        default=0.0,
        metavar="DEG",
        help="send frames only above this elevation (default 0)",
    )
    p.set_defaults(func=run)


def parse_payload(text: str) -> bytes:
    """Hex digits (optionally 0x...) as bytes, else the text as UTF-8 ('text:' forces text)."""
    if text.startswith("text:"):
        return text[5:].encode()
    hexpart = text[2:] if text.lower().startswith("0x") else text
    if hexpart and len(hexpart) % 2 == 0 and re.fullmatch(r"[0-9a-fA-F]+", hexpart):
        return bytes.fromhex(hexpart)
    return text.encode()


def run(args: argparse.Namespace) -> int:
    from sdrlink.simulate import next_pass_window, simulate_recording

    modes, satellite = common.modes_from_args(args)
    proto, options = modes[0].protocol, modes[0].options  # a satellite's first mode
    freq = args.freq
    if freq is None:
        freq = satellite.frequency_hz if satellite is not None else 436e6
    tle_sat = args.tle_sat or (
        str(satellite.norad)
        if satellite is not None and getattr(satellite, "norad", None)
        else args.sat
    )
    if args.snr is not None and args.snr_ref is not None:
        raise ConfigError("give either --snr or --snr-ref, not both")
    start, duration = args.start, args.duration
    if args.whole_pass:
        if not (args.tle and args.station and start):
            raise ConfigError("--pass needs --tle, --station and --start")
        start, duration = next_pass_window(
            args.tle, tle_sat, args.station, start, min_elevation=args.min_elevation
        )
    if duration is None and args.count is None:
        raise ConfigError("say how much to simulate: --count N, --duration S or --pass")
    result = simulate_recording(
        args.out,
        proto,
        options,
        sample_rate=args.rate,
        center_freq=freq,
        duration=duration,
        payload=parse_payload(args.payload) if args.payload is not None else None,
        count=args.count,
        interval_s=args.interval,
        first_s=args.first,
        snr_db=args.snr if args.snr is not None else 10.0,
        snr_ref_db=args.snr_ref,
        ref_range_km=args.ref_range,
        cfo_hz=args.cfo,
        drift_hz_s=args.drift,
        sfo_ppm=args.sfo_ppm,
        tx_ppm=args.tx_ppm,
        rx_ppm=args.rx_ppm,
        tle=args.tle,
        sat=tle_sat if args.tle else None,
        station=args.station,
        start_time=start,
        min_elevation=args.min_elevation,
        seed=args.seed,
        datatype=args.datatype,
        force=args.force,
    )
    frames = result.frames
    print(
        f"wrote {result.meta_path}: {result.num_samples} samples "
        f"({result.num_samples / args.rate:.1f} s at {args.rate:g} Hz), {len(frames)} frame(s)"
    )
    if result.skipped_below_horizon:
        print(f"{result.skipped_below_horizon} frame slot(s) left empty below the horizon")
    if frames:
        snrs = [fr.snr_db for fr in frames]
        offs = [fr.offset_hz for fr in frames]
        print(
            f"SNR {min(snrs):.1f}..{max(snrs):.1f} dB, carrier offset "
            f"{min(offs):+.0f}..{max(offs):+.0f} Hz",
            file=sys.stdout,
        )
    return 0
