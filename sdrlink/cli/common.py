"""Options and builders shared by ``decode``, ``live`` and ``batch``."""

from __future__ import annotations

import argparse
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

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


class CommandParser(argparse.ArgumentParser):
    """A command's parser: usage errors in one line, every protocol's options in --help."""

    def error(self, message: str) -> NoReturn:  # type: ignore[override]
        self.exit(
            2, f"{self.prog}: error: {message}{_flag_hint(message)} (see '{self.prog} --help')\n"
        )

    def format_help(self) -> str:
        text = super().format_help()
        if not getattr(self, "protocol_sections", False):
            return text
        shown = set(_SELECTED or ())
        for name in protocol_names():
            if name in shown:
                continue
            proto = get_protocol(name)
            demo = argparse.ArgumentParser(prog=self.prog, add_help=False)
            _add_options(demo, name, proto.cli_options(), getattr(self, "transmit", False))
            part = demo.format_help().split("\n\n", 1)[-1].rstrip()
            text += f"\n{part}\n"
        return text


# Protocols whose options this command line may use: found by a scan of the
# arguments before parsing (-p NAME, or the transmitters of --sat NAME), so that
# each protocol's options are parsed in its own namespace (LoRa's --cr is not
# another protocol's --cr) and another protocol's options are refused.
_SELECTED: list[str] | None = None


def select_protocols(argv: Sequence[str]) -> None:
    """Scan ``argv`` for -p/--protocol and --sat; remember the protocols they name."""
    global _SELECTED
    _SELECTED = _scan(list(argv))


def _value_of(argv: list[str], flags: tuple[str, ...]) -> str | None:
    value = None
    for k, arg in enumerate(argv):
        if arg == "--":
            break
        for flag in flags:
            if arg == flag and k + 1 < len(argv):
                value = argv[k + 1]
            elif arg.startswith(flag + "=") and flag.startswith("--"):
                value = arg[len(flag) + 1 :]
            elif not flag.startswith("--") and arg.startswith(flag) and len(arg) > len(flag):
                value = arg[len(flag) :]
    return value


def _scan(argv: list[str]) -> list[str] | None:
    name = _value_of(argv, ("-p", "--protocol"))
    if name is not None:
        return [name.lower()] if name.lower() in protocol_names() else None
    sat = _value_of(argv, ("--sat",))
    if sat is None:
        return None
    from sdrlink.catalogue import find_satellite

    try:
        satellite = find_satellite(sat)
    except ConfigError:
        return None  # the command reports the unknown satellite
    names = satellite_protocols(satellite)
    return [n for n in names if n in protocol_names()] or None


def satellite_protocols(satellite: Any) -> list[str]:
    """The protocols of a catalogue satellite's transmitters, in order, without repeats."""
    names: list[str] = []
    for tx in getattr(satellite, "transmitters", None) or [satellite]:
        if tx.protocol not in names:
            names.append(tx.protocol)
    return names


def _dest(flag: str) -> str:
    return "proto_opt:" + flag


def _add_options(
    parser: argparse.ArgumentParser, name: str, options: Sequence[Any], transmit: bool = False
) -> None:
    proto = get_protocol(name)
    group = parser.add_argument_group(f"{name} options (-p {name})", proto.description)
    have = {a.dest for a in parser._actions}
    for opt in options:
        if transmit and opt.receiver_only:
            continue
        if _dest(opt.flag) in have:
            continue  # a flag two selected protocols share: one option feeds both
        have.add(_dest(opt.flag))
        if opt.switch is not None:
            group.add_argument(
                opt.flag, dest=_dest(opt.flag), action="store_true", default=None, help=opt.help
            )
        else:
            group.add_argument(
                opt.flag,
                dest=_dest(opt.flag),
                default=None,
                metavar=opt.metavar or (None if opt.choices else opt.key.upper()),
                choices=opt.choices,
                help=opt.help,
            )


def _flag_hint(message: str) -> str:
    """For 'unrecognized arguments: --baud 9600': which protocol has that option."""
    if "unrecognized arguments" not in message:
        return ""
    hints = []
    for token in message.split(":", 1)[-1].split():
        flag = token.split("=", 1)[0]
        if not flag.startswith("--"):
            continue
        owners = [
            n
            for n in protocol_names()
            if n not in (_SELECTED or ())
            and any(o.flag == flag for o in get_protocol(n).cli_options())
        ]
        if owners:
            hints.append(f"{flag} is an option of -p {'/'.join(owners)}")
    if hints:
        return "; " + "; ".join(hints)
    if _SELECTED is None:
        return "; protocol options need -p NAME or --sat NAME first"
    return ""


def positive_int(text: str) -> int:
    """argparse type: an integer of at least 1 (block sizes, counts)."""
    try:
        value = int(text, 0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def add_protocol_args(parser: argparse.ArgumentParser, transmit: bool = False) -> None:
    """--protocol, --sat and the options of the protocols they select.

    ``transmit``: for 'sdrlink simulate', without the receiver-only options."""
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
    for name in _SELECTED or ():
        _add_options(parser, name, get_protocol(name).cli_options(), transmit)
    parser.set_defaults(selected_protocols=list(_SELECTED or ()))
    parser.protocol_sections = True  # type: ignore[attr-defined]
    parser.transmit = transmit  # type: ignore[attr-defined]


def cli_protocol_options(args: argparse.Namespace, name: str) -> dict[str, Any]:
    """The options of protocol ``name`` given on the command line (values as typed)."""
    out: dict[str, Any] = {}
    if name not in getattr(args, "selected_protocols", ()):
        return out
    for opt in get_protocol(name).cli_options():
        value = getattr(args, _dest(opt.flag), None)  # absent: not offered (simulate)
        if value is None:
            continue
        out[opt.key] = opt.switch if opt.switch is not None else value
    return out


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
    group.add_argument(
        "--include-bad",
        "--show-bad",  # its old name
        dest="include_bad",
        action="store_true",
        help="also show and store frames whose CRC failed (terminal, --jsonl, --db)",
    )
    group.add_argument("-q", "--quiet", action="store_true", help="no frame lines on the terminal")


def explicit_options(args: argparse.Namespace) -> tuple[str | None, dict[str, Any]]:
    """The protocol whose options were given on the command line, and those options.

    With ``-p`` that protocol's; with ``--sat`` alone, the one protocol (of the
    satellite's) whose options appear (ConfigError when options of several do).
    """
    if args.protocol:
        return args.protocol, cli_protocol_options(args, args.protocol)
    given = {
        name: opts
        for name in getattr(args, "selected_protocols", ())
        if (opts := cli_protocol_options(args, name))
    }
    if len(given) > 1:
        raise ConfigError(
            f"options of several protocols ({', '.join(given)}) given with --sat: "
            "say which with -p NAME"
        )
    return next(iter(given.items()), (None, {}))


def modes_from_args(args: argparse.Namespace) -> tuple[list[Any], Any]:
    """The modes to decode (:func:`sdrlink.api.plan_modes`) and the catalogue satellite."""
    from sdrlink.api import plan_modes

    if args.protocol is None and not args.sat:
        raise ConfigError("say which protocol to decode: --protocol NAME or --sat NAME")
    name, options = explicit_options(args)
    return plan_modes(name, args.sat, options)


def build_receivers(modes: Sequence[Any], info: StreamInfo) -> list[Any]:
    """One receiver per mode; modes the stream cannot carry are left out, with a note."""
    import sys

    from sdrlink.api import build_receivers as _build

    return _build(modes, info, notify=lambda m: print(f"sdrlink: {m}", file=sys.stderr))


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
    modes: Sequence[Any],
    terminal: bool = True,
    status: Any = None,
) -> list[Sink]:
    """Terminal, --jsonl, --db and --kiss sinks as requested (all checked before any
    decoding starts; combinations that cannot work are refused). Frame lines wipe
    ``status`` (a progress or status line on the terminal) before they are printed."""
    import sys

    from sdrlink.progress import ClearsLine
    from sdrlink.sinks import JsonlSink, SqliteSink, TerminalSink

    if args.jsonl == "-" and not args.quiet and terminal:
        raise ConfigError("--jsonl - writes JSON lines to stdout: add -q, or frame lines mix in")
    from sdrlink.api import modes_label, modes_settings

    protocol, options = modes_label(modes), modes_settings(modes)
    if args.kiss and not any(m.protocol.carries_ax25(m.options) for m in modes):
        raise ConfigError(f"--kiss writes AX.25 frames, and {protocol} here carries none")
    sinks: list[Sink] = []
    if terminal and not args.quiet:
        out: Any = ClearsLine(sys.stdout, status) if status is not None else sys.stdout
        sinks.append(TerminalSink(stream=out, show_bad=args.include_bad))
    if args.jsonl:
        sinks.append(JsonlSink(args.jsonl, include_bad=args.include_bad, append=True))
    if args.db:
        sinks.append(
            SqliteSink(args.db, source_name, protocol, options, include_bad=args.include_bad)
        )
    if args.kiss:
        from sdrlink.sinks.kiss import KissSink

        sinks.append(KissSink(args.kiss))
    return sinks


def settings_digest(protocol: str, options: dict[str, Any]) -> dict[str, Any]:
    """A JSON-able record of the settings a run used (for the frame log)."""
    return {"protocol": protocol, **{k: v for k, v in sorted(options.items())}}


def source_label(path: str) -> str:
    return str(Path(path))
