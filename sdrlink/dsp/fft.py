"""Batched complex FFTs for the receivers: planned FFTW transforms, with fallbacks.

The receivers transform many rows of the same length at once (dechirped
LoRa windows, channelizer blocks), block after block. FFTW (through
pyFFTW) does that 2-3 times faster than ``scipy.fft`` for these sizes, once
a plan exists for the shape; plans are made once per (rows, length) and
reused for every later block (``benchmarks/fft_sizes.py`` has the table).
Row counts are rounded up to a multiple of 8 above 8 rows, so that
blocks of slightly different sizes share a plan.

Only pyFFTW's compiled core is loaded: ``import pyfftw`` itself also
imports ``scipy.fftpack`` and dask (half a second), which a short decode
cannot afford. Without pyFFTW, ``scipy.fft`` is used (imported on first
use), and without SciPy ``numpy.fft``.

Planning effort (``SDRLINK_FFTW``, or :func:`configure`): ``estimate``
(default: plans in about 0.1 ms, no measurement, within 1.2-1.5x of the
best), ``measure`` (FFTW times candidate algorithms: tens to hundreds of
ms per new shape, remembered as wisdom in
``$XDG_CACHE_HOME/sdrlink/fftw-wisdom`` (``~/.cache/...``) so that later runs
plan instantly), or ``off`` (no FFTW). Transforms run on one thread: on the
small transforms of a receiver, threads cost more than they give
(``fft_sizes.py --threads 2``).
"""

from __future__ import annotations

import glob
import importlib.util
import os
import sys
import threading
import types
from collections import OrderedDict
from pathlib import Path
from typing import Any

import numpy as np

_lock = threading.Lock()
_fftw: Any = None  # the pyfftw.pyfftw module, False when unavailable
_effort = os.environ.get("SDRLINK_FFTW", "estimate").strip().lower() or "estimate"
_plans: OrderedDict[tuple[int, int, int], _Plan] = OrderedDict()
_wisdom_loaded = False
MAX_PLANS = 96


def _load_fftw() -> Any:
    """pyFFTW's core module without the package's heavy ``__init__``; False if absent."""
    global _fftw
    if _fftw is not None:
        return _fftw
    _fftw = False
    if _effort == "off":
        return _fftw
    mod = sys.modules.get("pyfftw.pyfftw")
    if mod is None and "pyfftw" in sys.modules:  # the user imported pyfftw already
        mod = getattr(sys.modules["pyfftw"], "pyfftw", None)
    if mod is None:
        try:
            mod = _load_core()
        except Exception:  # layout changed, or broken install: the full import
            try:
                import pyfftw  # type: ignore[import-untyped]

                mod = pyfftw.pyfftw
            except Exception:
                mod = None
    if mod is not None and hasattr(mod, "FFTW"):
        _fftw = mod
    return _fftw


def _load_core() -> Any:
    spec = importlib.util.find_spec("pyfftw")
    if spec is None or not spec.submodule_search_locations:
        return None
    where = list(spec.submodule_search_locations)
    found = glob.glob(os.path.join(where[0], "pyfftw.*.so")) + glob.glob(
        os.path.join(where[0], "pyfftw.*.pyd")
    )
    if not found:
        return None
    stub = types.ModuleType("pyfftw")
    stub.__path__ = where
    sys.modules["pyfftw"] = stub
    try:
        core_spec = importlib.util.spec_from_file_location("pyfftw.pyfftw", found[0])
        assert core_spec is not None and core_spec.loader is not None
        mod = importlib.util.module_from_spec(core_spec)
        sys.modules["pyfftw.pyfftw"] = mod
        try:
            core_spec.loader.exec_module(mod)
        except Exception:
            del sys.modules["pyfftw.pyfftw"]
            raise
    finally:
        # a later 'import pyfftw' runs the real package, which finds this core
        if sys.modules.get("pyfftw") is stub:
            del sys.modules["pyfftw"]
    return mod


def backend() -> str:
    """Which library computes the transforms: 'fftw', 'scipy' or 'numpy'."""
    if _load_fftw():
        return "fftw"
    return "scipy" if importlib.util.find_spec("scipy") is not None else "numpy"


def configure(effort: str) -> None:
    """Set the FFTW planning effort ('estimate', 'measure' or 'off'); forgets the plans."""
    global _effort, _fftw
    effort = effort.strip().lower()
    if effort not in ("estimate", "measure", "off"):
        raise ValueError(f"FFTW planning effort {effort!r}: use estimate, measure or off")
    with _lock:
        _effort = effort
        _plans.clear()
        _fftw = None


def wisdom_path() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "sdrlink" / "fftw-wisdom"


def _read_wisdom(fftw: Any) -> None:
    global _wisdom_loaded
    if _wisdom_loaded:
        return
    _wisdom_loaded = True
    try:
        parts = wisdom_path().read_bytes().split(b"\n--\n")
        fftw.import_wisdom(tuple(parts[:3]) if len(parts) >= 3 else (b"", b"", b""))
    except (OSError, ValueError, TypeError):
        pass  # no wisdom yet (or unreadable): plans are measured again


def _save_wisdom(fftw: Any) -> None:
    path = wisdom_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.{os.getpid()}")
        tmp.write_bytes(b"\n--\n".join(fftw.export_wisdom()))
        os.replace(tmp, path)
    except OSError:
        pass  # a read-only home: the plans are measured again next time


class _Plan:
    """An FFTW plan for ``rows`` x ``n`` complex64, with its aligned buffers."""

    def __init__(self, fftw: Any, rows: int, n: int, inverse: bool = False) -> None:
        self.rows, self.n = rows, n
        self.inp = fftw.zeros_aligned((rows, n), dtype="complex64")
        self.out = fftw.empty_aligned((rows, n), dtype="complex64")
        kw = {"axes": (1,), "direction": "FFTW_BACKWARD" if inverse else "FFTW_FORWARD"}
        if _effort == "measure":
            _read_wisdom(fftw)
            try:  # known shape: no measuring
                self.fft = fftw.FFTW(
                    self.inp, self.out, flags=("FFTW_MEASURE", "FFTW_WISDOM_ONLY"), **kw
                )
            except RuntimeError:
                self.fft = fftw.FFTW(self.inp, self.out, flags=("FFTW_MEASURE",), **kw)
                _save_wisdom(fftw)
            self.inp[:] = 0  # measuring scribbles on the buffers
        else:
            self.fft = fftw.FFTW(self.inp, self.out, flags=("FFTW_ESTIMATE",), **kw)


def _rows_bucket(rows: int) -> int:
    return rows if rows <= 8 else (rows + 7) & ~7


def _plan(rows: int, n: int) -> _Plan | None:
    fftw = _load_fftw()
    if not fftw:
        return None
    key = (_rows_bucket(rows), n, 0)
    with _lock:
        plan = _plans.get(key)
        if plan is None:
            plan = _Plan(fftw, key[0], n)
            _plans[key] = plan
            if len(_plans) > MAX_PLANS:
                _plans.popitem(last=False)
        else:
            _plans.move_to_end(key)
    return plan


def _fallback(x: np.ndarray, n: int, inverse: bool = False) -> np.ndarray:
    """The same transform without FFTW (the inverse unscaled, as FFTW's)."""
    if importlib.util.find_spec("scipy") is not None:
        import scipy.fft

        f = scipy.fft.ifft if inverse else scipy.fft.fft
        y = f(x, n=n, axis=1, norm="backward" if not inverse else "forward")
        return np.asarray(y, dtype=np.complex64)
    if inverse:
        return (np.fft.ifft(x, n=n, axis=1) * n).astype(np.complex64)
    return np.fft.fft(x, n=n, axis=1).astype(np.complex64)


def fft_rows(x: np.ndarray, n: int | None = None) -> np.ndarray:
    """FFT of each row of ``x`` (2-D, complex64), zero-padded to ``n`` points; a new array."""
    x = np.asarray(x)
    rows, m = x.shape
    n = m if n is None else int(n)
    if rows == 0:
        return np.zeros((0, n), dtype=np.complex64)
    plan = _plan(rows, n)
    if plan is None:
        return _fallback(x, n)
    with _lock:
        plan.inp[:rows, :m] = x[:, :n]
        if m < n:
            plan.inp[:rows, m:] = 0
        if rows < plan.rows:
            plan.inp[rows:] = 0
        plan.fft.execute()
        return plan.out[:rows].copy()


class RowFFT:
    """A reusable transform of ``rows`` x ``n``: fill :attr:`inp`, call, read the result.

    For hot loops that write their input straight into the transform's
    buffer (no copy) and consume the output before the next call. The
    object is not shared: it has its own plan and buffers. ``inverse``:
    the inverse transform, unscaled (``n`` times ``numpy.fft.ifft``).
    """

    def __init__(self, rows: int, n: int, inverse: bool = False) -> None:
        self.rows, self.n, self.inverse = rows, n, inverse
        fftw = _load_fftw()
        self._plan = _Plan(fftw, rows, n, inverse) if fftw else None
        self.inp = self._plan.inp if self._plan else np.zeros((rows, n), dtype=np.complex64)

    def __call__(self) -> np.ndarray:
        """The transform of :attr:`inp` rows; valid until the next call."""
        if self._plan is None:
            return _fallback(self.inp, self.n, self.inverse)
        self._plan.fft.execute()
        return self._plan.out


__all__ = ["RowFFT", "backend", "configure", "fft_rows", "wisdom_path"]
