"""Start-up cost: what ``sdrlink decode`` of LoRa and ``sdrlink --help`` import.

Each check runs the command in a fresh interpreter and lists the modules it
ended up with. Heavy modules are imported where they are used, so a short
decode does not pay for plotting, orbits, batch clusters, the station, the
web page, SciPy or the framing registry.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from sdrlink.protocols.lora import LoRaParams, modulate

# modules (or packages) a LoRa decode must not import
HEAVY = (
    "matplotlib",
    "skyfield",
    "sgp4",
    "dask",
    "distributed",
    "pandas",
    "scipy",
    "aiohttp",
    "sigmf",
    "sdrlink.framing",
    "sdrlink.protocols.fsk",
    "sdrlink.protocols.bpsk",
    "sdrlink.station",
    "sdrlink.web",
    "sdrlink.plot",
    "sdrlink.doppler",
    "sdrlink.batch",
    "sdrlink.catalogue",
)

PROBE = """
import json, sys
from sdrlink.cli.main import main
try:
    code = main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
print(json.dumps({"code": code, "modules": sorted(sys.modules)}), file=sys.__stderr__)
"""


def _modules(*args: str) -> list[str]:
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], capture_output=True, text=True, timeout=120
    )
    last = proc.stderr.strip().splitlines()[-1]
    got = json.loads(last)
    assert got["code"] in (0, None), proc.stderr
    return got["modules"]


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY)]


@pytest.fixture(scope="module")
def lora_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("startup") / "frame.cf32"
    x = np.concatenate(
        [np.zeros(2000, np.complex64), modulate(LoRaParams(sf=7), b"start-up", 250e3)]
    )
    np.concatenate([x, np.zeros(2000, np.complex64)]).astype(np.complex64).tofile(path)
    return path


def test_lora_decode_imports_nothing_heavy(lora_file):
    modules = _modules("decode", str(lora_file), "--rate", "250k", "-p", "lora", "--sf", "7")
    assert "sdrlink.protocols.lora.receiver" in modules  # it did decode
    assert _heavy(modules) == []


def test_decode_help_imports_nothing_heavy():
    """Every protocol's options are listed, but none of the signal processing loads."""
    modules = _modules("decode", "--help")
    assert "sdrlink.protocols.lrfhss" in modules
    libraries = [m for m in _heavy(modules) if not m.startswith("sdrlink")]
    assert libraries == []


def test_help_imports_no_numpy():
    modules = _modules("--help")
    assert "sdrlink.cli.decode" in modules
    assert "numpy" not in modules
    assert _heavy(modules) == []


BLAS_PROBE = """
import os, sys
import sdrlink.cli.main
print(os.environ.get("OPENBLAS_NUM_THREADS"), "numpy" in sys.modules)
"""


@pytest.mark.parametrize(("given", "expected"), [(None, "1"), ("4", "4")])
def test_cli_keeps_openblas_to_one_thread_unless_told(given, expected):
    """OpenBLAS's idle threads spin for ~0.1 CPU-s per command: the CLI asks for one
    before NumPy is imported (too late after), and a user's own setting wins."""
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if given is not None:
        env["OPENBLAS_NUM_THREADS"] = given
    proc = subprocess.run(
        [sys.executable, "-c", BLAS_PROBE], capture_output=True, text=True, env=env, timeout=60
    )
    assert proc.stdout.split() == [expected, "False"], proc.stderr
