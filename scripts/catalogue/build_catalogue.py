#!/usr/bin/env python3
"""Build ``sdrlink/data/satellites.json`` from SatYAML folders plus a hand-written overlay.

Not needed at runtime and not run in CI (a test checks the committed JSON). Typical use::

    GRS=/tmp/grs/ex/usr/lib/python3/dist-packages/satellites/satyaml
    python scripts/catalogue/build_catalogue.py \\
        --satyaml "gr-satellites 4.4.0 (Debian bookworm)=$GRS" \\
        --satyaml "gr-satellites master=/tmp/satyaml-master"

Folders are read in order: a file of a later folder replaces the file of the same name
from an earlier one (master files override 4.4.0 ones). A folder may hold ``_commits.txt``
(``FILE.yml COMMIT ...`` per line); the commit then goes into each entry's ``source``.
Then ``scripts/catalogue/extra_satellites.json`` is applied: corrections of single values,
added or reordered transmitters and whole extra satellites (the LoRa ones), each with its
source. Names and aliases are made unique: an alias that two satellites share is dropped
from both (and reported). The output is sorted by name, so a re-run gives the same file.

Only PyYAML is needed besides the standard library. The converter is this project's own
code; it reads the SatYAML files as data.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import yaml

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_EXTRA = HERE / "extra_satellites.json"
DEFAULT_OUT = ROOT / "sdrlink" / "data" / "satellites.json"

# SatYAML transmitter keys that describe software plumbing, not the radio signal
NOT_RADIO = {"data", "transports", "telemetry_servers", "additional_data"}
# keys that keep their meaning under a snake_case name
VERBATIM = {
    "frame size": "frame_size",
    "RS basis": "rs_basis",
    "RS interleaving": "rs_interleaving",
    "precoding": "precoding",
    "convolutional": "convolutional",
    "scrambler": "scrambler",
}
PROTOCOL_OF = {
    "fsk": "fsk",
    "afsk": "fsk",
    "fsk_subaudio": "fsk",
    "bpsk": "bpsk",
    "bpsk_manchester": "bpsk",
    "dbpsk": "bpsk",
    "dbpsk_manchester": "bpsk",
}

COMMENT = (
    "sdrlink satellite catalogue, schema version 2 (see sdrlink/catalogue.py). Built by "
    "scripts/catalogue/build_catalogue.py from gr-satellites SatYAML files (4.4.0 as packaged "
    "by Debian bookworm, then newer files of gr-satellites master) and "
    "scripts/catalogue/extra_satellites.json; every entry and transmitter names its source. "
    "Transmitter options use the keys of the protocol's make_params; framing names are "
    "gr-satellites' own spelling."
)


def key(text: str) -> str:
    """Names compare case-insensitively, ignoring punctuation (as sdrlink.catalogue does)."""
    return "".join(ch for ch in str(text).lower() if ch.isalnum())


def snake(name: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", name.strip().lower()).strip("_")


def number(value: Any) -> int | float:
    """Integral floats become ints (9600.0 -> 9600), others stay floats (7415.77)."""
    value = float(value)
    return int(value) if value.is_integer() else value


class Report:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.other_keys: Counter[str] = Counter()

    def note(self, text: str) -> None:
        self.lines.append(text)


def convert_transmitter(name: str, tx: dict[str, Any], report: Report) -> dict[str, Any]:
    """One SatYAML transmitter -> one catalogue transmitter."""
    modulation = snake(str(tx["modulation"]))
    if modulation not in PROTOCOL_OF:
        raise SystemExit(f"transmitter {name!r}: unknown modulation {tx['modulation']!r}")
    options: dict[str, Any] = {
        "modulation": modulation,
        "baud": number(tx["baudrate"]),
        "framing": str(tx["framing"]).strip(),
    }
    for k, v in tx.items():
        if k in ("frequency", "modulation", "baudrate", "framing") or k in NOT_RADIO:
            continue
        if k == "af_carrier":
            options["af_carrier"] = number(v)
        elif k == "deviation":
            options["af_deviation" if modulation == "afsk" else "deviation"] = number(v)
        elif k in VERBATIM:
            options[VERBATIM[k]] = v.strip() if isinstance(v, str) else v
        else:
            report.other_keys[f"{k} -> {snake(k)}"] += 1
            options[snake(k)] = v.strip() if isinstance(v, str) else v
    return {
        "name": str(name),
        "frequency_hz": int(round(float(tx["frequency"]))),
        "protocol": PROTOCOL_OF[modulation],
        "options": options,
    }


def convert_file(path: Path, label: str, commits: dict[str, str], report: Report) -> dict:
    data = yaml.safe_load(path.read_text("utf-8"))
    source = f"{label} python/satyaml/{path.name}"
    if path.name in commits:
        source += f" at commit {commits[path.name]}"
    return {
        "name": str(data["name"]),
        "aliases": [str(a) for a in (data.get("alternative_names") or [])],
        "norad": int(data["norad"]) if data.get("norad") is not None else None,
        "source": source,
        "transmitters": [
            convert_transmitter(n, t, report) for n, t in data["transmitters"].items()
        ],
    }


def read_folders(specs: list[str], report: Report) -> dict[str, dict]:
    """{file name: entry}; later folders replace earlier files of the same name."""
    by_file: dict[str, dict] = {}
    for spec in specs:
        label, sep, folder = spec.rpartition("=")
        if not sep:
            raise SystemExit(f"--satyaml wants LABEL=FOLDER, got {spec!r}")
        root = Path(folder)
        commits: dict[str, str] = {}
        if (root / "_commits.txt").exists():
            for line in (root / "_commits.txt").read_text().splitlines():
                parts = line.split()
                if len(parts) >= 2:
                    commits[parts[0]] = parts[1]
        files = sorted(root.glob("*.yml"))
        replaced = sum(1 for f in files if f.name in by_file)
        for f in files:
            by_file[f.name] = convert_file(f, label, commits, report)
        report.note(f"{label}: {len(files)} files ({replaced} replace earlier ones)")
    return by_file


def find(entries: list[dict], name: str) -> dict:
    for e in entries:
        if key(e["name"]) == key(name):
            return e
    raise SystemExit(f"overlay names unknown satellite {name!r}")


def find_tx(entry: dict, name: str) -> dict:
    for t in entry["transmitters"]:
        if t["name"] == name:
            return t
    raise SystemExit(f"overlay names unknown transmitter {name!r} of {entry['name']}")


def overlay_transmitter(tx: dict[str, Any], source: str, report: Report) -> dict[str, Any]:
    """A transmitter written in the overlay: SatYAML style (converted) or catalogue style."""
    if "protocol" in tx:
        out = {k: tx[k] for k in ("name", "frequency_hz", "protocol", "options")}
    else:
        body = {k: v for k, v in tx.items() if k != "name"}
        out = convert_transmitter(tx["name"], body, report)
    out["source"] = source
    return out


def apply_overlay(entries: list[dict], extra: dict, report: Report) -> None:
    for c in extra.get("corrections", []):
        entry = find(entries, c["satellite"])
        src = c["source"]
        if "norad" in c:
            report.note(f"{entry['name']}: NORAD {entry['norad']} -> {c['norad']}")
            entry["norad"] = c["norad"]
            entry["source"] += f"; NORAD id from {src}"
        for alias in c.get("add_aliases", []):
            entry["aliases"].append(alias)
            entry.setdefault("alias_sources", {})[alias] = src
        for name, changes in c.get("transmitter_set", {}).items():
            tx = find_tx(entry, name)
            for k, v in changes.items():
                if k == "frequency_hz":
                    tx["frequency_hz"] = int(v)
                else:
                    tx["options"][k] = v
            what = ", ".join("frequency" if k == "frequency_hz" else k for k in changes)
            tx["source"] = f"{entry['source'].split(';')[0]}; {what} from {src}"
        if "replace_transmitters" in c:
            entry["transmitters"] = [
                overlay_transmitter(t, src, report) for t in c["replace_transmitters"]
            ]
        for t in c.get("add_transmitters", []):
            entry["transmitters"].append(overlay_transmitter(t, src, report))
        if "first_transmitter" in c:
            first = find_tx(entry, c["first_transmitter"])
            entry["transmitters"].remove(first)
            entry["transmitters"].insert(0, first)
        if "note" in c:
            entry["note"] = c["note"]
    for s in extra.get("satellites", []):
        if any(key(e["name"]) == key(s["name"]) for e in entries):
            raise SystemExit(f"overlay satellite {s['name']!r} already exists")
        entries.append(
            {
                "name": s["name"],
                "aliases": list(s.get("aliases", [])),
                "norad": s.get("norad"),
                "source": s["source"],
                "transmitters": [
                    overlay_transmitter(t, t.get("source", s["source"]), report)
                    for t in s["transmitters"]
                ],
                **({"note": s["note"]} if "note" in s else {}),
            }
        )
        for t, spec in zip(entries[-1]["transmitters"], s["transmitters"], strict=True):
            if "source" not in spec:
                del t["source"]  # same as the satellite's


def unique_names(entries: list[dict], report: Report) -> list[str]:
    """Drop aliases shared by two satellites; returns the dropped ones for the report."""
    owners: dict[str, set[str]] = defaultdict(set)
    for e in entries:
        for n in [e["name"], *e["aliases"]]:
            owners[key(n)].add(e["name"])
    names = Counter(key(e["name"]) for e in entries)
    clash = [k for k, n in names.items() if n > 1]
    if clash:
        raise SystemExit(f"two satellites share a name: {clash}")
    dropped: list[str] = []
    for e in entries:
        keep: list[str] = []
        seen = {key(e["name"])}
        for a in e["aliases"]:
            k = key(a)
            if k in seen or not k:
                continue  # repeats the name or another alias of the same satellite
            if len(owners[k]) > 1:
                others = sorted(owners[k] - {e["name"]})
                dropped.append(f"{a!r} of {e['name']} (also {', '.join(others)})")
                continue
            seen.add(k)
            keep.append(a)
        e["aliases"] = keep
        sources = e.pop("alias_sources", {})
        added = [a for a in keep if a in sources]
        if added:
            e["source"] += "; aliases " + ", ".join(f"{a} from {sources[a]}" for a in added)
    return dropped


def ordered(entry: dict) -> dict:
    out = {
        "name": entry["name"],
        "aliases": entry["aliases"],
        "norad": entry["norad"],
        "source": entry["source"],
    }
    if entry.get("note"):
        out["note"] = entry["note"]
    out["transmitters"] = []
    for t in entry["transmitters"]:
        tx = {k: t[k] for k in ("name", "frequency_hz", "protocol", "options")}
        if t.get("source") and t["source"] != entry["source"]:
            tx["source"] = t["source"]
        out["transmitters"].append(tx)
    return out


def build(specs: list[str], extra_path: Path, report: Report) -> dict:
    by_file = read_folders(specs, report)
    entries = list(by_file.values())
    extra = json.loads(extra_path.read_text("utf-8"))
    apply_overlay(entries, extra, report)
    dropped = unique_names(entries, report)
    entries.sort(key=lambda e: (e["name"].casefold(), e["name"]))
    report.note(f"dropped shared aliases ({len(dropped)}): " + "; ".join(dropped))
    norads = Counter(e["norad"] for e in entries if e["norad"] is not None)
    repeats = {
        n: [e["name"] for e in entries if e["norad"] == n] for n, c in norads.items() if c > 1
    }
    report.note(f"NORAD ids used by more than one satellite: {repeats}")
    return {"version": 2, "_comment": COMMENT, "satellites": [ordered(e) for e in entries]}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--satyaml", action="append", required=True, metavar="LABEL=FOLDER")
    p.add_argument("--extra", type=Path, default=DEFAULT_EXTRA)
    p.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = p.parse_args(argv)
    report = Report()
    catalogue = build(args.satyaml, args.extra, report)
    text = json.dumps(catalogue, indent=1, ensure_ascii=False) + "\n"
    args.out.write_text(text, "utf-8")
    sats = catalogue["satellites"]
    txs = [t for s in sats for t in s["transmitters"]]
    report.note(f"{len(sats)} satellites, {len(txs)} transmitters -> {args.out}")
    report.note(f"other transmitter keys, snake_cased: {dict(report.other_keys)}")
    print("\n".join(report.lines), file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
