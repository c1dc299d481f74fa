"""Shared fixtures: where ../shared is, and how tests that need it behave.

Tests that read the reference data in ../shared skip when it is absent, unless
SDRLINK_REQUIRE_SHARED=1 (set by .ci/run), in which case they fail.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("SDRLINK_SHARED", ROOT.parent / "shared"))


def _shared_or_skip(sub: str) -> Path:
    path = SHARED / sub
    if path.exists():
        return path
    msg = f"reference data {path} not found"
    if os.environ.get("SDRLINK_REQUIRE_SHARED") == "1":
        pytest.fail(msg + " (SDRLINK_REQUIRE_SHARED=1)")
    pytest.skip(msg)


@pytest.fixture(scope="session")
def shared_lora() -> Path:
    """../shared/vectors/lora (skip or fail when missing)."""
    return _shared_or_skip("vectors/lora")


@pytest.fixture(scope="session")
def shared_recordings() -> Path:
    """../shared/recordings (skip or fail when missing)."""
    return _shared_or_skip("recordings")


@pytest.fixture
def rng():
    import numpy as np

    return np.random.default_rng(1234)


@pytest.fixture(autouse=True)
def _close_figures():
    """Close matplotlib figures after each test (only if a test loaded pyplot)."""
    yield
    import sys

    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None:
        plt.close("all")
