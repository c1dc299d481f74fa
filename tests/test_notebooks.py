"""The notebooks in notebooks/ run top to bottom and are committed without outputs.

Each notebook is executed with nbclient in a kernel that runs this very
interpreter (a kernelspec written to a temporary JUPYTER_PATH), with a
temporary working directory, so a notebook that breaks fails CI.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
KERNEL = "sdrlink-test-python"
TIMEOUT_S = 120  # per cell


@pytest.fixture(scope="module")
def kernel_name(tmp_path_factory) -> str:
    """A kernelspec for the running interpreter, found through JUPYTER_PATH."""
    pytest.importorskip("ipykernel")
    base = tmp_path_factory.mktemp("jupyter")
    spec_dir = base / "kernels" / KERNEL
    spec_dir.mkdir(parents=True)
    spec = {
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "sdrlink test kernel",
        "language": "python",
        "env": {
            # inline figures even when CI exports MPLBACKEND=Agg
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
            # a fresh IPython profile: no user startup files, history kept out of $HOME
            "IPYTHONDIR": os.environ.get("IPYTHONDIR") or str(base / "ipython"),
        },
    }
    (spec_dir / "kernel.json").write_text(json.dumps(spec))
    mp = pytest.MonkeyPatch()
    mp.setenv("JUPYTER_PATH", str(base))
    yield KERNEL
    mp.undo()


def test_there_are_notebooks():
    names = [nb.stem for nb in NOTEBOOKS]
    for want in ("01_quickstart", "02_lora_inside", "03_doppler_pass", "04_fsk_telemetry"):
        assert want in names


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_committed_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    nbformat.validate(nb)
    for i, cell in enumerate(nb.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"{path.name} cell {i} has outputs; clear them"
            assert cell.execution_count is None, f"{path.name} cell {i} has an execution count"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path, kernel_name, tmp_path):
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        nb,
        kernel_name=kernel_name,
        timeout=TIMEOUT_S,
        resources={"metadata": {"path": str(tmp_path)}},
    )
    client.execute()  # raises CellExecutionError naming the failing cell
    errors = [
        out
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
        if out.get("output_type") == "error"
    ]
    assert not errors
    images = sum(
        "image/png" in out.get("data", {})
        for cell in nb.cells
        if cell.cell_type == "code"
        for out in cell.outputs
    )
    assert images >= 1, f"{path.name} drew no figure"
    assert list(tmp_path.iterdir()) == [], f"{path.name} left files in its working directory"
