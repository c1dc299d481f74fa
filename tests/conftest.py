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


def _tool_or_skip(path: str, variable: str, what: str) -> str:
    """``path`` when it exists; else skip, or fail when ``variable`` is 1 (CI sets it)."""
    import shutil

    found = shutil.which(path)
    if found:
        return found
    msg = f"{what} ({path}) not installed"
    if os.environ.get(variable) == "1":
        pytest.fail(f"{msg} ({variable}=1)")
    pytest.skip(msg)


@pytest.fixture
def rotctld():
    """A real Hamlib rotctld with its dummy rotator on a free loopback port: (host, port)."""
    import socket
    import subprocess
    import time

    exe = _tool_or_skip("rotctld", "SDRLINK_REQUIRE_ROTCTLD", "Hamlib's rotctld (hamlib-utils)")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [exe, "-m", "1", "-T", "127.0.0.1", "-t", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port), 0.2).close()
                break
            except OSError:
                time.sleep(0.05)
        else:
            pytest.fail("rotctld did not start listening")
        yield "127.0.0.1", port
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """Debian's chromium (skip without it, fail when SDRLINK_REQUIRE_BROWSER=1)."""
    path = _tool_or_skip("/usr/bin/chromium", "SDRLINK_REQUIRE_BROWSER", "chromium")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        if os.environ.get("SDRLINK_REQUIRE_BROWSER") == "1":
            pytest.fail("playwright not installed (SDRLINK_REQUIRE_BROWSER=1)")
        pytest.skip("playwright not installed")
    return path
