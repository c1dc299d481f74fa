"""A simulated radio for the station: each pass's downlink made from its TLE.

For rehearsals, demonstrations and tests without an antenna. When the
station opens the radio for a pass, :class:`SimulatedRadio` writes a SigMF
recording with :func:`sdrlink.simulate.simulate_recording` (the satellite's
catalogue protocol and options, Doppler from the pass's own TLE, frames that
name the pass) and streams it back. On a :class:`~sdrlink.station.clock.SimClock`
each block moves the clock on by its duration, so a week of passes runs in
seconds; on a running clock the blocks are paced to it. ``capture_s`` keeps
each capture short (the pass is then cut there) when only decoding matters.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sdrlink.blocks import SampleBlock
from sdrlink.catalogue import find_satellite
from sdrlink.doppler.orbit import Station
from sdrlink.sources.base import DEFAULT_BLOCK, Source
from sdrlink.station.clock import Clock, SimClock
from sdrlink.station.runner import Radio, Tuning
from sdrlink.station.schedule import PlannedPass


def pass_payload(plan: PlannedPass, k: int) -> bytes:
    """The payload of simulated frame ``k`` of a pass (names the pass, so losses show)."""
    return f"{plan.id} #{k}".encode()


class ClockedSource(Source):
    """Wraps a file source: moves a SimClock along with the samples, or paces to a clock."""

    def __init__(self, inner: Source, clock: Clock, remove: list[Path] | None = None) -> None:
        self.inner = inner
        self.remove = remove or []
        self.info = inner.info
        self.clock = clock
        self._stop = False

    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        t0 = self.info.start_time
        assert t0 is not None
        rate = self.info.sample_rate
        for block in self.inner.blocks(block_size):
            if self._stop:
                return
            end = t0 + _dt.timedelta(seconds=block.stop / rate)
            if isinstance(self.clock, SimClock):
                self.clock.advance_to(end)
            else:
                self.clock.sleep_until(end)
            yield block

    def stop(self) -> None:
        self._stop = True

    def close(self) -> None:
        self.inner.close()
        for p in self.remove:
            p.unlink(missing_ok=True)


class SimulatedRadio(Radio):
    """Simulated passes (see the module docstring).

    ``frames`` frames every ``interval_s`` from ``first_s`` into each capture,
    at ``snr_db``; ``fail(plan)`` may return an exception to raise instead of
    opening (a radio that is not there).
    """

    device = "simulated radio"

    def __init__(
        self,
        clock: Clock,
        station: Station,
        rate: float,
        *,
        capture_s: float | None = 2.0,
        frames: int = 1,
        first_s: float = 0.3,
        interval_s: float = 1.0,
        snr_db: float = 15.0,
        workdir: str | Path | None = None,
        fail: Callable[[PlannedPass], BaseException | None] | None = None,
        seed: int = 1,
    ) -> None:
        self.clock, self.station, self.rate = clock, station, float(rate)
        self.capture_s = capture_s
        self.frames, self.first_s, self.interval_s = frames, first_s, interval_s
        self.snr_db = snr_db
        self._tmp = (
            None if workdir is not None else tempfile.TemporaryDirectory(prefix="sdrlink-sim-")
        )
        self.workdir = Path(workdir) if workdir is not None else Path(self._tmp.name)
        self.fail = fail
        self.seed = seed
        self.opened: list[str] = []  # pass ids, in order
        self.truth: dict[str, list] = {}  # pass id -> SimFrame list

    def open(self, tuning: Tuning, duration_s: float, plan: PlannedPass, notify) -> Source:
        from sdrlink.simulate import simulate_recording
        from sdrlink.sources import open_source

        if self.fail is not None:
            exc = self.fail(plan)
            if exc is not None:
                raise exc
        sat = find_satellite(plan.satellite)
        start = self.clock.now()
        duration = duration_s if self.capture_s is None else min(self.capture_s, duration_s)
        tle_file = self.workdir / f"{plan.id}.tle"
        tle_file.write_text(
            f"{plan.tle.name or plan.satellite}\n{plan.tle.line1}\n{plan.tle.line2}\n"
        )
        count = max(0, min(self.frames, int((duration - self.first_s) // self.interval_s) + 1))
        base = self.workdir / f"{plan.id}-{len(self.opened)}"
        result = simulate_recording(
            base,
            sat.protocol,
            dict(sat.options),
            sample_rate=self.rate,
            center_freq=tuning.center_hz,
            duration=duration,
            payloads=[pass_payload(plan, k) for k in range(count)],
            interval_s=self.interval_s,
            first_s=self.first_s,
            snr_db=self.snr_db,
            tle=tle_file,
            sat=plan.tle.norad,
            station=str(self.station),
            start_time=start,
            seed=self.seed + len(self.opened),
            datatype="cf32_le",
        )
        self.opened.append(plan.id)
        self.truth[plan.id] = result.frames
        source = open_source(result.meta_path)
        source.info.extra.setdefault("hw", "sdrlink simulated radio")
        meta = Path(result.meta_path)
        files = [meta, meta.with_suffix(".sigmf-data"), tle_file]
        return ClockedSource(source, self.clock, files)
