"""What the README's first command installs, and how the package describes itself."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = (ROOT / "pyproject.toml").read_text()  # tomllib is 3.11+, sdrlink runs on 3.10


def test_license_is_an_spdx_string_not_a_deprecated_table():
    assert re.search(r'^license = "MIT"$', PYPROJECT, re.M)


def test_plain_setup_installs_what_every_documented_command_needs():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    plain = re.search(r'^extras="\[([^\]]*)\]"', setup, re.M)
    assert plain, "setup.sh names the extras it installs by default"
    extras = set(plain.group(1).split(","))
    assert {"batch", "notebooks", "station"} <= extras  # batch, the notebooks, station --web
    notebooks = re.search(r"^notebooks = \[(.*)\]$", PYPROJECT, re.M)
    assert notebooks and "pandas" in notebooks.group(1)  # the notebooks' frame tables
