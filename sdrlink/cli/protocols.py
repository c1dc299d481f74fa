"""``sdrlink protocols``: list the registered protocols."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser(
        "protocols",
        help="list the protocols sdrlink decodes",
        description="List the registered protocols and what each one decodes.",
    )
    p.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    from sdrlink.protocols import get_protocol, protocol_names

    for name in protocol_names():
        print(f"{name:8s} {get_protocol(name).description}")
    return 0
