"""``sdrlink sats``: list the satellite catalogue, one line per transmitter."""

from __future__ import annotations

import argparse
import json
import sys
from typing import TYPE_CHECKING, Any

from sdrlink.errors import ConfigError

if TYPE_CHECKING:
    from sdrlink.catalogue import Satellite, Transmitter

_COLUMNS = ("NAME", "NORAD", "TRANSMITTER", "MHz", "PROTO", "MODULATION", "BAUD", "FRAMING", "OK")


def register(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "sats",
        help="list the satellites the catalogue knows, one line per transmitter",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        description=(
            "List the satellite catalogue: one line per transmitter (satellite, NORAD id, "
            "transmitter, frequency, protocol, modulation, baud rate, framing, and whether "
            "sdrlink can decode it). The table has one header line, so\n"
            "  sdrlink sats --supported | wc -l\n"
            "counts the decodable transmitters plus one. A summary line goes to stderr.\n"
            "Use a satellite's name, alias or NORAD id with 'sdrlink decode --sat NAME'."
        ),
        epilog=(
            "examples:\n"
            "  sdrlink sats --supported            # what sdrlink decodes today\n"
            "  sdrlink sats --framing 'AX.25 G3RUH'\n"
            "  sdrlink sats funcube                # search names, aliases, NORAD ids, modes\n"
            "  sdrlink sats --sat BY70-1           # one satellite in full, with reasons"
        ),
    )
    p.add_argument(
        "word", nargs="?", default=None, help="search word (name, alias, NORAD id, mode name)"
    )
    p.add_argument("--protocol", default=None, help="only transmitters of this protocol")
    p.add_argument("--framing", default=None, help="only this framing, as spelled (case ignored)")
    p.add_argument(
        "--supported", action="store_true", help="only transmitters sdrlink can decode now"
    )
    p.add_argument(
        "--sat",
        default=None,
        metavar="NAME",
        help="show one satellite (name, alias or NORAD id) in full, with the reason a "
        "transmitter is not supported",
    )
    p.add_argument("--json", action="store_true", help="print the entries as JSON instead")
    p.set_defaults(func=run)


def _key(text: str) -> str:
    return "".join(ch for ch in text.lower() if ch.isalnum())


def _matches_word(sat: Satellite, tx: Transmitter, word: str) -> bool:
    if word.strip().isdigit() and sat.norad == int(word):
        return True
    k = _key(word)
    return bool(k) and any(k in _key(n) for n in [*sat.names(), tx.name])


def _select(sats: list[Satellite], args: argparse.Namespace) -> list[tuple[Satellite, Transmitter]]:
    rows = [(s, t) for s in sats for t in s.transmitters]
    if args.protocol:
        proto = args.protocol.lower()
        known = sorted({t.protocol for _, t in rows})
        if proto not in known:
            raise ConfigError(
                f"no transmitters use protocol {args.protocol!r}; known: {', '.join(known)}"
            )
        rows = [(s, t) for s, t in rows if t.protocol == proto]
    if args.framing:
        want = args.framing.strip().casefold()
        rows = [(s, t) for s, t in rows if t.framing.casefold() == want]
    if args.word:
        rows = [(s, t) for s, t in rows if _matches_word(s, t, args.word)]
    if args.supported:
        rows = [(s, t) for s, t in rows if t.supported]
    return rows


def _num(value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:g}"


def _mhz(hz: float) -> str:
    text = f"{hz / 1e6:.4f}"  # 437.0875, 436.200
    return text[:-1] if text.endswith("0") else text


def _row(sat: Satellite, tx: Transmitter) -> tuple[str, ...]:
    return (
        sat.name,
        str(sat.norad) if sat.norad is not None else "-",
        tx.name,
        _mhz(tx.frequency_hz),
        tx.protocol,
        tx.modulation,
        _num(tx.baud),
        tx.framing or "-",
        "yes" if tx.supported else "no",
    )


def _print_table(rows: list[tuple[str, ...]]) -> None:
    table = [_COLUMNS, *rows]
    widths = [max(len(r[i]) for r in table) for i in range(len(_COLUMNS))]
    for r in table:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip())


def _as_data(sat: Satellite, txs: list[Transmitter]) -> dict[str, Any]:
    out: list[dict[str, Any]] = []
    for t in txs:
        ok, reason = t.support()
        out.append(
            {
                "name": t.name,
                "frequency_hz": t.frequency_hz,
                "protocol": t.protocol,
                "options": t.options,
                "source": t.source,
                "supported": ok,
                "reason": reason,
            }
        )
    return {
        "name": sat.name,
        "aliases": list(sat.aliases),
        "norad": sat.norad,
        "source": sat.source,
        "note": sat.note,
        "transmitters": out,
    }


def _detail(sat: Satellite) -> None:
    print(f"{sat.name}  (NORAD {sat.norad if sat.norad is not None else '-'})")
    print(f"aliases: {', '.join(sat.aliases) or '-'}")
    if sat.note:
        print(f"note: {sat.note}")
    print(f"source: {sat.source}")
    for t in sat.transmitters:
        ok, reason = t.support()
        opts = " ".join(f"{k}={v}" for k, v in t.options.items())
        print(f"\n  {t.name}: {_mhz(t.frequency_hz)} MHz, {t.protocol}  {opts}")
        print(f"    supported: {'yes' if ok else 'no, ' + reason}")
        if t.source != sat.source:
            print(f"    source: {t.source}")


def run(args: argparse.Namespace) -> int:
    from sdrlink.catalogue import find_satellite, load_catalogue

    sats = [find_satellite(args.sat)] if args.sat else load_catalogue()
    rows = _select(sats, args)
    if args.json:
        by_sat: dict[str, tuple[Satellite, list[Transmitter]]] = {}
        for s, t in rows:
            by_sat.setdefault(s.name, (s, []))[1].append(t)
        print(json.dumps([_as_data(s, txs) for s, txs in by_sat.values()], indent=2))
    elif args.sat:
        _print_table([_row(s, t) for s, t in rows])
        print()
        _detail(sats[0])
    else:
        _print_table([_row(s, t) for s, t in rows])
    n_sats = len({s.name for s, _ in rows})
    n_ok = sum(1 for _, t in rows if t.supported)
    print(f"{n_sats} satellites, {len(rows)} transmitters, {n_ok} supported", file=sys.stderr)
    return 0
