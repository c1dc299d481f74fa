"""Entry point of the ``sdrlink`` command.

Each command lives in ``sdrlink/cli/NAME.py`` with ``register(subparsers)``
(which sets ``func``) and ``run(args) -> int``. Exit codes: 0 success,
2 usage or input error, 1 internal error, 128 + the signal number when stopped
by a signal (130 Ctrl-C, 143 SIGTERM, 129 SIGHUP; see :mod:`sdrlink.interrupt`).
"""

from __future__ import annotations

import os

# NumPy's OpenBLAS starts a thread per core when NumPy is imported, and its idle
# threads spin: about 0.1 CPU-s per command on two cores for nothing, since no
# command does large linear algebra (several processes, e.g. ``batch``, each
# would do the same). Set before NumPy is imported; the user's own setting wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import argparse  # noqa: E402
import importlib  # noqa: E402
import sys  # noqa: E402

from sdrlink import __version__  # noqa: E402
from sdrlink.errors import SdrlinkError  # noqa: E402

COMMANDS = [
    "decode",
    "info",
    "simulate",
    "live",
    "devices",
    "passes",
    "sats",
    "protocols",
    "framings",
    "batch",
    "station",
]


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``argv`` selects which protocols' options it takes."""
    from sdrlink.cli.common import CommandParser, select_protocols

    select_protocols(argv or [])
    parser = CommandParser(
        prog="sdrlink",
        description=(
            "Decode satellite IoT bursts (LoRa, FSK/AX.25, AX100) from SDR recordings "
            "and live radios."
        ),
        epilog="Run 'sdrlink COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"sdrlink {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=CommandParser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"sdrlink.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sdrlink.cli.{name}":
                continue  # command not available in this build
            raise
        module.register(sub)
    return parser


# Options whose value may start with '-' without being a plain number ("-200k,+100k",
# "-2.5k"); argparse would take such a value for an option.
SIGNED_VALUE_OPTIONS = {
    "--channel",
    "--cfo",
    "--drift",
    "--sfo-ppm",
    "--tx-ppm",
    "--rx-ppm",
    "--ppm",
}


def glue_signed_values(argv: list[str]) -> list[str]:
    """Turn ``--channel -200k,+100k`` into ``--channel=-200k,+100k`` so argparse accepts it."""
    out: list[str] = []
    i = 0
    while i < len(argv):
        arg = argv[i]
        nxt = argv[i + 1] if i + 1 < len(argv) else None
        if (
            arg in SIGNED_VALUE_OPTIONS
            and nxt is not None
            and nxt[:1] == "-"
            and nxt[1:2].isdigit()
        ):
            out.append(f"{arg}={nxt}")
            i += 2
            continue
        out.append(arg)
        i += 1
    return out


def _command_parser(
    parser: argparse.ArgumentParser, command: str | None
) -> argparse.ArgumentParser | None:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            return action.choices[command]
    return None


def main(argv: list[str] | None = None) -> int:
    argv = glue_signed_values(sys.argv[1:] if argv is None else list(argv))
    parser = build_parser(argv)
    args, extra = parser.parse_known_args(argv)
    if extra:  # reported by the command's own parser: one line, with a hint
        sub = _command_parser(parser, getattr(args, "command", None)) or parser
        sub.error(f"unrecognized arguments: {' '.join(extra)}")
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    from sdrlink import interrupt

    try:
        with interrupt.handle_signals():
            return int(args.func(args) or 0)
    except SdrlinkError as exc:
        print(f"sdrlink: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sdrlink: interrupted", file=sys.stderr)
        return interrupt.exit_code()
    except BrokenPipeError:
        return 0
    except Exception as exc:  # a bug: say so, with the traceback for a report
        import traceback

        traceback.print_exc()
        print(f"sdrlink: internal error: {exc!r} (please report this)", file=sys.stderr)
        return 1


def entry() -> None:
    sys.exit(main())


if __name__ == "__main__":
    entry()
