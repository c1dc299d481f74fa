"""Options and builders shared by ``decode``, ``live`` and ``batch``."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path
from typing import Any

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError
from sdrlink.pipeline import Sink, Stage
from sdrlink.protocols import get_protocol, protocol_names


def parse_si(text: str) -> float:
    """'250k' -> 250000.0, '1.024M' -> 1024000.0, '436.7M', '2G', '-200k'."""
    from sdrlink.sources.files import parse_si as _parse_si

    return _parse_si(text)


def parse_time(text: str) -> dt.datetime:
    """ISO 8601 UTC time ('2026-11-01T12:00:00Z'); naive times are taken as UTC."""
    try:
        t = dt.datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 time: {text!r}") from None
    return t if t.tzinfo else t.replace(tzinfo=dt.timezone.utc)


def si_arg(text: str) -> float:
    try:
        return parse_si(text)
    except Exception:
        raise argparse.ArgumentTypeError(f"not a number: {text!r} (e.g. 250k, 1.024M)") from None


def add_protocol_args(parser: argparse.ArgumentParser) -> None:
    """--protocol, --sat and every registered protocol's own options."""
    parser.add_argument(
        "-p",
        "--protocol",
        choices=protocol_names(),
        help="protocol (or take it from --sat)",
    )
    parser.add_argument(
        "--sat",
        metavar="NAME",
        help="satellite from the catalogue ('sdrlink sats'): protocol, parameters, NORAD id",
    )
    for name in protocol_names():
        proto = get_protocol(name)
        group = parser.add_argument_group(f"{name} options", proto.description)
        proto.add_arguments(group)


def add_doppler_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group(
        "Doppler compensation", "remove the Doppler shift predicted from a TLE (else: blind search)"
    )
    group.add_argument("--tle", metavar="FILE", help="TLE file (one or many satellites)")
    group.add_argument(
        "--tle-sat",
        metavar="NAME|NORAD",
        help="satellite in the TLE file (default: --sat's NORAD id or name)",
    )
    group.add_argument(
        "--station", metavar="LAT,LON,ALT", help="ground station: degrees, degrees, metres"
    )
    group.add_argument(
        "--downlink",
        type=si_arg,
        metavar="HZ",
        help="carrier frequency the Doppler is computed for (default: catalogue or centre freq)",
    )


def add_sink_args(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("outputs")
    group.add_argument("--jsonl", metavar="PATH", help="append frames as JSON lines ('-' = stdout)")
    group.add_argument("--db", metavar="PATH", help="SQLite frame log (created if missing)")
    group.add_argument("--kiss", metavar="PATH", help="write AX.25 frames as KISS")
    group.add_argument("--show-bad", action="store_true", help="also print frames whose CRC failed")
    group.add_argument("-q", "--quiet", action="store_true", help="no frame lines on the terminal")


def _catalogue_protocol(sat: str) -> str:
    """The protocol of the satellite's first decodable transmitter (ConfigError if none)."""
    from sdrlink.catalogue import find_satellite

    satellite = find_satellite(sat)
    satellite.require_supported()
    return satellite.protocol


def explicit_options(args: argparse.Namespace) -> dict[str, Any]:
    """The protocol options given on the command line (not from the catalogue)."""
    name = args.protocol
    if name is None and args.sat:
        name = _catalogue_protocol(args.sat)
    return get_protocol(name).options_from_args(args) if name else {}


def build_receivers(
    args: argparse.Namespace, proto: Any, options: dict[str, Any], info: StreamInfo, satellite: Any
) -> list[Any]:
    """Receivers for the options, plus the satellite's other transmitter modes."""
    from sdrlink.api import build_receivers as _build

    return _build(proto, options, info, satellite, explicit_options(args))


def protocol_options(args: argparse.Namespace) -> tuple[Any, dict[str, Any], Any]:
    """Resolve (protocol, options, satellite) from --protocol/--sat and protocol options."""
    from sdrlink.api import resolve_protocol

    cli_opts: dict[str, Any] = {}
    name = args.protocol
    if name is None and args.sat:
        name = _catalogue_protocol(args.sat)
    if name is None:
        raise ConfigError("say which protocol to decode: --protocol NAME or --sat NAME")
    cli_opts = get_protocol(name).options_from_args(args)
    return resolve_protocol(args.protocol, args.sat, cli_opts)


def doppler_spec(args: argparse.Namespace, satellite: Any) -> Any:
    """The Doppler request of --tle/--tle-sat/--station/--downlink, or None without --tle."""
    if not getattr(args, "tle", None):
        if getattr(args, "station", None):
            raise ConfigError("--station needs --tle")
        return None
    if not args.station:
        raise ConfigError("--tle needs --station LAT,LON,ALT")
    from sdrlink.doppler.stage import DopplerSpec

    carrier = args.downlink
    if carrier is None and satellite is not None:
        carrier = satellite.frequency_hz
    tle_sat = args.tle_sat or (
        str(satellite.norad) if satellite is not None and satellite.norad else args.sat
    )
    return DopplerSpec.load(args.tle, tle_sat, args.station, carrier)


def build_stages(args: argparse.Namespace, info: StreamInfo, satellite: Any) -> list[Stage]:
    """The Doppler stage when --tle is given."""
    spec = doppler_spec(args, satellite)
    return [] if spec is None else [spec.stage(info)]


def build_sinks(
    args: argparse.Namespace,
    source_name: str,
    protocol: str,
    options: dict[str, Any],
    terminal: bool = True,
) -> list[Sink]:
    """Terminal, --jsonl, --db and --kiss sinks as requested."""
    from sdrlink.sinks import JsonlSink, SqliteSink, TerminalSink

    sinks: list[Sink] = []
    if terminal and not args.quiet:
        sinks.append(TerminalSink(show_bad=args.show_bad))
    if args.jsonl:
        sinks.append(JsonlSink(args.jsonl, include_bad=args.show_bad, append=True))
    if args.db:
        sinks.append(SqliteSink(args.db, source_name, protocol, options))
    if args.kiss:
        from sdrlink.sinks.kiss import KissSink

        sinks.append(KissSink(args.kiss))
    return sinks


def settings_digest(protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    """A JSON-able record of the settings a run used (for the frame log)."""
    return {"protocol": protocol, **{k: v for k, v in sorted(options.items())}}


def source_label(path: str) -> str:
    return str(Path(path))
