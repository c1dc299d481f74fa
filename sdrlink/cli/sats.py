"""``sdrlink sats``: list the satellite catalogue."""

from __future__ import annotations

import argparse
import json

from sdrlink.catalogue import find_satellite, load_catalogue
from sdrlink.errors import ConfigError


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sats",
        help="list the satellites the catalogue knows",
        description=(
            "List the satellite catalogue: name, NORAD id, downlink frequency, protocol and "
            "its options. Use a satellite's name with 'sdrlink decode --sat NAME'."
        ),
    )
    p.add_argument("--protocol", default=None, help="only satellites using this protocol")
    p.add_argument(
        "--sat",
        default=None,
        metavar="NAME",
        help="show one satellite (name, alias or NORAD id) in full",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _opts(options: dict) -> str:
    return " ".join(f"{k}={v}" for k, v in options.items())


def run(args: argparse.Namespace) -> int:
    if args.sat:
        sats = [find_satellite(args.sat)]
    else:
        sats = load_catalogue()
    if args.protocol:
        known = {s.protocol for s in load_catalogue()}
        if args.protocol.lower() not in known:
            raise ConfigError(
                f"no satellites use protocol {args.protocol!r}; known: {', '.join(sorted(known))}"
            )
        sats = [s for s in sats if s.protocol == args.protocol.lower()]
    if args.json:
        print(json.dumps([s.__dict__ for s in sats], indent=2, default=list))
        return 0
    rows = [("NAME", "NORAD", "FREQ MHz", "PROTO", "OPTIONS")]
    for s in sats:
        norad = str(s.norad) if s.norad is not None else "-"
        rows.append((s.name, norad, f"{s.frequency_hz / 1e6:.3f}", s.protocol, _opts(s.options)))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r[:4], widths, strict=False)) + "  " + r[4])
    if args.sat:
        s = sats[0]
        print(f"\naliases: {', '.join(s.aliases) or '-'}\nnote: {s.note}\nsource: {s.source}")
    return 0
