"""The README is executable: every shell command and Python block in it runs.

Blocks that cannot run here (they need a radio, run until stopped, or are a
synopsis or a file's content) carry an HTML comment ``<!-- not run: why -->``
on the line before them. Everything else runs as written, from a scratch
folder laid out like a checkout (``examples/``, ``tests/``, ``.venv`` and
``../shared`` reachable as in the repository), so the README cannot drift
from what sdrlink does. ``bash scripts/setup.sh`` itself is the one thing
not run again (the suite runs inside what it set up).
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SDRLINK_SHARED", ROOT.parent / "shared"))
FENCE = re.compile(r"(?P<mark><!-- not run: [^>]*-->\n)?```(?P<lang>\w*)\n(?P<body>.*?)```", re.S)


def _blocks(lang: str) -> list[str]:
    text = (ROOT / "README.md").read_text()
    return [m["body"] for m in FENCE.finditer(text) if m["lang"] == lang and not m["mark"]]


def _commands(body: str) -> list[str]:
    """The block's commands: continuation lines joined, comments dropped."""
    out, line = [], ""
    for raw in body.splitlines():
        line += raw.rstrip()
        if line.endswith("\\"):
            line = line[:-1] + " "
            continue
        if line.strip() and not line.lstrip().startswith("#"):
            out.append(line.strip())
        line = ""
    return out


SHELL = [c for body in _blocks("sh") for c in _commands(body)]
PYTHON = _blocks("python")


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A scratch folder that looks like the repository from inside."""
    top = tmp_path_factory.mktemp("readme")
    repo = top / "sdrlink"
    repo.mkdir()
    for name in ("examples", "tests", "scripts", "benchmarks", ".venv"):
        (repo / name).symlink_to(ROOT / name)
    if SHARED.exists():
        (top / "shared").symlink_to(SHARED)
    return repo


def _run(command: str, cwd: Path) -> subprocess.CompletedProcess:
    # the first README command sets everything up, then runs the main job: the suite
    # runs inside that set-up, so only what follows the setup runs here
    command = re.sub(r"^bash scripts/setup\.sh( --test)? && ", "", command)
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONPATH=str(ROOT))
    return subprocess.run(
        command, shell=True, cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def test_the_readme_has_commands_and_code_to_run():
    assert len(SHELL) >= 8 and PYTHON
    assert any("examples/lora_demo.sigmf-meta" in c for c in SHELL)


@pytest.mark.parametrize("command", SHELL, ids=[c[:60] for c in SHELL])
def test_shell_command_runs_as_written(command, checkout):
    if "../shared" in command and not SHARED.exists():
        if os.environ.get("SDRLINK_REQUIRE_SHARED") == "1":
            pytest.fail(f"{SHARED} not found (SDRLINK_REQUIRE_SHARED=1)")
        pytest.skip("needs ../shared")
    if "python -m pytest" in command:
        pytest.skip("the test suite itself")
    result = _run(command, checkout)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("code", PYTHON, ids=[f"block{k}" for k in range(len(PYTHON))])
def test_python_block_runs_as_written(code, checkout):
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=checkout,
        env=dict(os.environ, MPLBACKEND="Agg"),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_the_first_command_decodes_the_bundled_example(checkout):
    first = next(c for c in SHELL if c.startswith("bash scripts/setup.sh &&"))
    result = _run(first, checkout)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("CRC ok") == 5
    assert "5 frame(s), 5 with valid CRC" in result.stderr
