"""``sdrlink framings``: list the registered framings and their options."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "framings",
        help="list the framings sdrlink deframes (for --framing)",
        description=(
            "List the registered framings: the name --framing takes, the spellings of the "
            "satellite catalogue it also accepts, what it is, and its own options."
        ),
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.framing import all_framings

    for framing in all_framings():
        aliases = ", ".join(repr(a) for a in framing.aliases)
        print(f"{framing.name:20s} {framing.description}")
        if aliases:
            print(f"{'':20s} also: {aliases}")
        for opt in framing.options:
            print(f"{'':20s} {opt.flag} {opt.metavar}: {opt.help} (default {opt.default})")
    return 0
