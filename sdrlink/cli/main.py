"""Entry point of the ``sdrlink`` command.

Each command lives in ``sdrlink/cli/NAME.py`` with ``register(subparsers)``
(which sets ``func``) and ``run(args) -> int``. Exit codes: 0 success,
2 usage or input error, 1 internal error, 130 interrupted.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from sdrlink import __version__
from sdrlink.errors import SdrlinkError

COMMANDS = [
    "decode",
    "info",
    "simulate",
    "live",
    "devices",
    "passes",
    "sats",
    "protocols",
    "batch",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sdrlink",
        description=(
            "Decode satellite IoT bursts (LoRa, FSK/AX.25, AX100) from SDR recordings "
            "and live radios."
        ),
        epilog="Run 'sdrlink COMMAND --help' for the options of a command.",
    )
    parser.add_argument("--version", action="version", version=f"sdrlink {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"sdrlink.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name == f"sdrlink.cli.{name}":
                continue  # command not available in this build
            raise
        module.register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SdrlinkError as exc:
        print(f"sdrlink: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("sdrlink: interrupted", file=sys.stderr)
        return 130
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
