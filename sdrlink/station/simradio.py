"""A simulated radio for the station: each pass's downlink made from its TLE.

For rehearsals, demonstrations and tests without an antenna. When the
station opens the radio for a pass, :class:`SimulatedRadio` writes a SigMF
recording with :func:`sdrlink.simulate.simulate_recording` (the satellite's
catalogue protocol and options, Doppler from the pass's own TLE, frames that
name the pass) and streams it back. On a :class:`~sdrlink.station.clock.SimClock`
each block moves the clock on by its duration, so a week of passes runs in
seconds; on a running clock the blocks are paced to it. A long capture is made
ten seconds at a time, so the temporary files stay small at any rate. ``capture_s`` keeps
each capture short (the pass is then cut there) when only decoding matters.
"""

from __future__ import annotations

import datetime as _dt
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.catalogue import find_satellite
from sdrlink.doppler.orbit import Station
from sdrlink.sources.base import DEFAULT_BLOCK, Source
from sdrlink.station.clock import Clock, SimClock
from sdrlink.station.runner import Radio, Tuning
from sdrlink.station.schedule import PlannedPass


def pass_payload(plan: PlannedPass, k: int) -> bytes:
    """The payload of simulated frame ``k`` of a pass (names the pass, so losses show)."""
    return f"{plan.id} #{k}".encode()


#: longest stretch simulated at once (bounds the temporary files at high rates)
SEGMENT_S = 10.0


class SimulatedStream(Source):
    """A pass's simulated downlink, made and streamed ``SEGMENT_S`` seconds at a time.

    On a SimClock every block moves the clock to the block's end; on a running
    clock each block waits for its time, so the stream keeps the clock's pace.
    """

    def __init__(
        self,
        radio: SimulatedRadio,
        plan: PlannedPass,
        tuning: Tuning,
        duration: float,
        tle_file: Path,
        seed: int,
    ) -> None:
        self.radio, self.plan, self.tuning = radio, plan, tuning
        self.duration, self.tle_file, self.seed = duration, tle_file, seed
        self.info = StreamInfo(
            sample_rate=radio.rate,
            center_freq=tuning.center_hz,
            start_time=radio.clock.now(),
            description=f"simulated pass {plan.id}",
            extra={"hw": "sdrlink simulated radio"},
        )
        self.frames: list = []  # SimFrame truth, indices on the whole stream
        self._stop = False

    def _segment(self, t: float, d: float, k: int):
        from sdrlink.simulate import simulate_recording

        r = self.radio
        sat = find_satellite(self.plan.satellite)
        wanted = [j for j in range(r.frames) if t <= r.first_s + j * r.interval_s < t + d]
        first = r.first_s + wanted[0] * r.interval_s - t if wanted else 0.0
        assert self.info.start_time is not None
        return simulate_recording(
            r.workdir / f"{self.plan.id}-{self.seed}-{k}",
            sat.protocol,
            dict(sat.options),
            sample_rate=r.rate,
            center_freq=self.tuning.center_hz,
            duration=d,
            payloads=[pass_payload(self.plan, j) for j in wanted],
            interval_s=r.interval_s,
            first_s=max(first, 0.0),
            snr_db=r.snr_db,
            tle=self.tle_file,
            sat=self.plan.tle.norad,
            station=str(r.station),
            start_time=self.info.start_time + _dt.timedelta(seconds=t),
            seed=self.seed * 1000 + k,
            datatype="cf32_le",
        )

    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        from sdrlink.sources import open_source

        t0 = self.info.start_time
        assert t0 is not None
        rate = self.info.sample_rate
        clock = self.radio.clock
        t, k, offset = 0.0, 0, 0
        while t < self.duration - 1e-6 and not self._stop:
            d = min(SEGMENT_S, self.duration - t)
            result = self._segment(t, d, k)
            for f in result.frames:
                f.sample_start += offset
                self.frames.append(f)
            meta = Path(result.meta_path)
            try:
                with open_source(result.meta_path) as src:
                    for block in src.blocks(block_size):
                        if self._stop:
                            return
                        end = t0 + _dt.timedelta(seconds=(offset + block.stop) / rate)
                        if isinstance(clock, SimClock):
                            clock.advance_to(end)
                        else:
                            clock.sleep_until(end)
                        yield SampleBlock(block.samples, offset + block.start)
            finally:
                meta.unlink(missing_ok=True)
                meta.with_suffix(".sigmf-data").unlink(missing_ok=True)
            offset += result.num_samples
            t += d
            k += 1

    def stop(self) -> None:
        self._stop = True

    def close(self) -> None:
        self.tle_file.unlink(missing_ok=True)


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
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if workdir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="sdrlink-sim-")
            workdir = self._tmp.name
        self.workdir = Path(workdir)
        self.fail = fail
        self.seed = seed
        self.opened: list[str] = []  # pass ids, in order
        self.truth: dict[str, list] = {}  # pass id -> SimFrame list

    def open(self, tuning: Tuning, duration_s: float, plan: PlannedPass, notify) -> Source:

        if self.fail is not None:
            exc = self.fail(plan)
            if exc is not None:
                raise exc
        duration = duration_s if self.capture_s is None else min(self.capture_s, duration_s)
        tle_file = self.workdir / f"{plan.id}-{len(self.opened)}.tle"
        tle_file.write_text(
            f"{plan.tle.name or plan.satellite}\n{plan.tle.line1}\n{plan.tle.line2}\n"
        )
        stream = SimulatedStream(
            self, plan, tuning, duration, tle_file, self.seed + len(self.opened)
        )
        self.opened.append(plan.id)
        self.truth[plan.id] = stream.frames
        return stream
