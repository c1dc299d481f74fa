"""What the README's first command installs, and how the package describes itself."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def test_license_is_an_spdx_string_not_a_deprecated_table():
    assert PROJECT["license"] == "MIT"


def test_plain_setup_installs_what_every_documented_command_needs():
    setup = (ROOT / "scripts" / "setup.sh").read_text()
    plain = re.search(r'^extras="\[([^\]]*)\]"', setup, re.M)
    assert plain, "setup.sh names the extras it installs by default"
    extras = set(plain.group(1).split(","))
    assert {"batch", "notebooks"} <= extras  # 'sdrlink batch' and the notebooks
    needs = " ".join(PROJECT["optional-dependencies"]["notebooks"])
    assert "pandas" in needs  # the notebooks' frame tables
