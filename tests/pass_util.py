"""Short simulated recordings of an ISS pass over Cambridge, for Doppler tests."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sdrlink.simulate import SimResult, next_pass_window, simulate_recording

TLE = Path(__file__).parent / "data" / "amateur.tle"
STATION = "52.2,0.12,30"
AFTER = dt.datetime(2025, 11, 20, 17, tzinfo=dt.timezone.utc)


def iss_pass() -> tuple[dt.datetime, float]:
    """Start time and duration of the first whole ISS pass after ``AFTER``."""
    return next_pass_window(TLE, "ISS", STATION, AFTER, margin_s=5)


def iss_recording(
    path: Path, protocol: str, options: dict[str, Any], offset_s: float, snr_db: float, seed: int
) -> SimResult:
    """8 s at 250 ksps and 436 MHz from ``offset_s`` into the pass, a frame every 2 s."""
    start, _ = iss_pass()
    return simulate_recording(
        path,
        protocol,
        options,
        sample_rate=250e3,
        center_freq=436e6,
        duration=8.0,
        first_s=0.5,
        interval_s=2.0,
        snr_db=snr_db,
        tle=TLE,
        sat="ISS",
        station=STATION,
        start_time=start + dt.timedelta(seconds=offset_s),
        seed=seed,
    )
