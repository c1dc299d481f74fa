"""One pass, start to end: tune, track, record, decode, export.

For a planned pass the runner tunes the radio to the satellite's catalogue
downlink (checking first that the downlink, its whole Doppler swing and the
signal's bandwidth fit in the capture), removes the TLE Doppler with the
Cython stage, decodes with the catalogue's protocol and every transmitter
mode, and writes: frames to the frame log (SQLite), a SigMF recording of the
pass (``core:datetime``, the TLE used, the station, an annotation for every
frame and every gap), and the pass's frames as JSONL and CSV. The rotator is
pointed every ``update_s`` seconds and the web hub is fed spectra, the sky
position and frames as they come.

A radio that does not answer at the start of the pass is retried until LOS;
one that drops out mid-pass is retried by the live source's back-off (the
gap is counted and annotated). Any exception while decoding ends only this
pass: what was recorded is kept and the pass is reported as failed.
"""

from __future__ import annotations

import datetime as _dt
import threading
import traceback
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock
from sdrlink.catalogue import Satellite, find_satellite
from sdrlink.doppler.orbit import Orbit, Station, to_posix
from sdrlink.doppler.stage import DopplerSpec
from sdrlink.errors import ConfigError, DeviceError, SdrlinkError
from sdrlink.frame import Frame
from sdrlink.pipeline import RunStats, Sink
from sdrlink.protocols import get_protocol
from sdrlink.sources.base import Source
from sdrlink.station.clock import Clock
from sdrlink.station.config import SdrConfig
from sdrlink.station.files import frame_record, frames_csv, frames_jsonl, write_text_atomic
from sdrlink.station.schedule import PlannedPass

#: fraction of the sample rate a signal may use (the rest is the anti-alias roll-off)
USABLE_FRACTION = 0.8


@dataclass(frozen=True)
class Tuning:
    """Where to tune for a satellite, and why it fits."""

    center_hz: float
    carrier_hz: float
    rate: float
    max_doppler_hz: float
    signal_bw_hz: float


def signal_bandwidth(protocol: str, options: dict[str, Any]) -> float:
    """Occupied bandwidth of a mode: the protocol's ``occupied_bw`` or its ``bw``."""
    params = get_protocol(protocol).make_params(dict(options))
    for name in ("occupied_bw", "bw", "bandwidth"):
        value = getattr(params, name, None)
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    return 25e3


def plan_tuning(sat: Satellite, rate: float, max_doppler_hz: float) -> Tuning:
    """Tune on the downlink; ConfigError when the Doppler swing and signal do not fit."""
    bw = max(signal_bandwidth(t.protocol, t.options) for t in sat.supported_transmitters())
    need = abs(max_doppler_hz) + bw / 2
    have = USABLE_FRACTION * rate / 2
    if need > have:
        raise ConfigError(
            f"{sat.name}: a {rate / 1e3:g} ksps capture holds +-{have / 1e3:.1f} kHz, but the "
            f"pass needs +-{need / 1e3:.1f} kHz (Doppler {abs(max_doppler_hz) / 1e3:.1f} kHz + "
            f"half the {bw / 1e3:.1f} kHz signal); raise [sdr] rate"
        )
    return Tuning(sat.frequency_hz, sat.frequency_hz, rate, max_doppler_hz, bw)


class Radio:
    """Opens a started source for one pass (the real one wraps ``open_radio``)."""

    #: a description for recordings and logs
    device = ""

    def open(self, tuning: Tuning, duration_s: float, plan: PlannedPass, notify) -> Source:
        raise NotImplementedError


class LiveRadio(Radio):
    """SoapySDR or rtl_tcp, as ``sdrlink live --device`` opens them."""

    def __init__(self, sdr: SdrConfig, clock: Clock) -> None:
        self.sdr = sdr
        self.clock = clock
        self.device = sdr.device

    def open(self, tuning: Tuning, duration_s: float, plan: PlannedPass, notify) -> Source:
        from sdrlink.sources.live import open_radio

        s = self.sdr
        source = open_radio(
            s.device,
            frequency=tuning.center_hz,
            sample_rate=tuning.rate,
            gain=s.gain,
            ppm=s.ppm,
            antenna=s.antenna,
            bandwidth=s.bandwidth,
            buffer_seconds=s.buffer_s,
            give_up_after=max(duration_s, 5.0),  # keep retrying a lost radio until LOS
            duration=duration_s,
            notify=notify,
            now=self.clock.now,
        )
        try:
            source.wait_started(timeout=min(max(s.give_up_s, 5.0), max(duration_s, 5.0)))
        except BaseException:
            source.close()
            raise
        return source


@dataclass
class PassResult:
    """What one pass produced."""

    id: str
    status: str  # done, failed, missed, interrupted (taken again after a restart)
    frames: list[Frame] = field(default_factory=list)
    recording: Path | None = None
    jsonl: Path | None = None
    csv: Path | None = None
    samples: int = 0
    gaps: int = 0
    lost_samples: int = 0
    error: str = ""

    @property
    def valid_frames(self) -> int:
        return sum(f.crc_ok is not False for f in self.frames)

    def to_dict(self) -> dict[str, Any]:
        def name(p: Path | None) -> str | None:
            return None if p is None else p.name

        return {
            "id": self.id,
            "status": self.status,
            "frames": len(self.frames),
            "valid_frames": self.valid_frames,
            "recording": name(self.recording),
            "jsonl": name(self.jsonl),
            "csv": name(self.csv),
            "samples": self.samples,
            "gaps": self.gaps,
            "lost_samples": self.lost_samples,
            "error": self.error,
        }


class Tracker:
    """Points the rotator and updates the sky plot every ``update_s`` clock seconds."""

    def __init__(
        self, orbit: Orbit, plan: PlannedPass, clock: Clock, rotator, hub, update_s: float
    ):
        self.orbit, self.plan, self.clock = orbit, plan, clock
        self.rotator, self.hub = rotator, hub
        self.update_s = update_s
        self._last: _dt.datetime | None = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def tick(self) -> None:
        now = self.clock.now()
        step = _dt.timedelta(seconds=self.update_s)
        with self._lock:  # on a fixed grid, so that pointing keeps pace on average
            if self._last is not None and now < self._last:
                return
            due = now + step if self._last is None else self._last + step
            self._last = due if due > now else now + step  # a whole step behind: skip
        look = self.orbit.look(np.array([float(to_posix(now))]))
        az, el = float(look.azimuth[0]), float(look.elevation[0])
        if self.hub is not None:
            self.hub.sky(az, el, (now - self.plan.aos).total_seconds())
        if self.rotator is not None:
            self.rotator.try_point(az, max(el, 0.0))

    def start(self) -> None:
        """On a clock that runs by itself, also tick from a thread (through radio outages)."""
        self.tick()
        if not self.clock.realtime:
            return

        def loop() -> None:
            while self.clock.sleep(self.update_s / 2, self._stop):
                self.tick()

        self._thread = threading.Thread(target=loop, name="sdrlink-tracker", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5.0)


class _PassSink(Sink):
    """Per frame: terminal line, web, recording annotation, kept for the exports."""

    def __init__(self, plan: PlannedPass, recorder, hub, echo: Callable[[str], None] | None):
        self.plan, self.recorder, self.hub, self.echo = plan, recorder, hub, echo
        self.frames: list[Frame] = []

    def write(self, frame: Frame) -> None:
        from sdrlink.sinks.terminal import format_frame

        self.frames.append(frame)
        if self.recorder is not None:
            self.recorder.add_frame(frame, satellite=self.plan.satellite)
        if self.hub is not None:
            rec = frame_record(frame, self.plan.satellite)
            rec["pass_id"] = self.plan.id
            self.hub.frame(rec)
        if self.echo is not None and frame.crc_ok is not False:
            self.echo(f"{self.plan.satellite:<12.12} {format_frame(frame)}")


def _unique_base(folder: Path, name: str) -> Path:
    base = folder / name
    k = 2
    while base.with_name(base.name + ".sigmf-meta").exists():
        base = folder / f"{name}-{k}"
        k += 1
    return base


@dataclass
class PassRunner:
    """Runs passes for a station (see the module docstring)."""

    station: Station
    station_name: str
    radio: Radio
    clock: Clock
    out_dir: Path
    frame_log: Path | None = None
    record: bool = True
    datatype: str = "cf32_le"
    rotator: Any = None
    rotator_update_s: float = 1.0
    hub: Any = None
    log: Callable[[str], None] = print
    echo: Callable[[str], None] | None = print
    block_size: int = 1 << 16
    stop_event: threading.Event = field(default_factory=threading.Event)

    def run(self, plan: PlannedPass) -> PassResult:
        """Take ``plan`` from now until its LOS; never raises for a radio or decoder fault."""
        result = PassResult(plan.id, "failed")
        sat = find_satellite(plan.satellite)
        try:
            tuning = plan_tuning(sat, self._rate(), plan.max_doppler_hz)
        except ConfigError as exc:
            result.error = str(exc)
            self.log(f"pass {plan.id}: not taken: {exc}")
            return result
        orbit = Orbit(plan.tle, self.station)
        tracker = Tracker(orbit, plan, self.clock, self.rotator, self.hub, self.rotator_update_s)
        if self.hub is not None:
            self.hub.current_pass(plan.to_dict())
        tracker.start()
        try:
            source = self._open(plan, tuning, result)
            if source is not None:
                with source:
                    self._receive(plan, sat, source, tracker, result)
        finally:
            tracker.stop()
            if self.hub is not None:
                self.hub.current_pass(None)
        self._export(plan, result)
        return result

    def _rate(self) -> float:
        sdr = getattr(self.radio, "sdr", None)
        return float(getattr(self.radio, "rate", None) or (sdr.rate if sdr else 1.024e6))

    def _open(self, plan: PlannedPass, tuning: Tuning, result: PassResult) -> Source | None:
        """Open the radio, retrying (with back-off on the station clock) until LOS."""
        backoff = 1.0
        while not self.stop_event.is_set():
            left = (plan.los - self.clock.now()).total_seconds()
            if left <= 1.0:
                result.status = "missed"
                result.error = result.error or "LOS before the radio could be opened"
                return None
            try:
                return self.radio.open(tuning, left, plan, lambda m: self.log(f"{plan.id}: {m}"))
            except DeviceError as exc:
                result.error = str(exc)
                self.log(f"pass {plan.id}: radio: {exc}; retrying in {backoff:g} s")
            if not self.clock.sleep(backoff, self.stop_event):
                break
            backoff = min(backoff * 2, 10.0)
        result.status = "missed"
        return None

    def _receive(self, plan, sat, source: Source, tracker: Tracker, result: PassResult) -> None:
        from sdrlink.api import build_receivers, modes_label, modes_settings, plan_modes
        from sdrlink.pipeline import run as run_pipeline
        from sdrlink.sinks.sqlite import SqliteSink

        info = source.info
        recorder = None
        sink = None
        stats: RunStats | None = None
        try:
            modes, _ = plan_modes(None, sat.name)
            receivers = build_receivers(modes, info, notify=lambda m: self.log(f"{plan.id}: {m}"))
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                stage = DopplerSpec(plan.tle, self.station, sat.frequency_hz).stage(info)
            for w in caught:
                self.log(f"pass {plan.id}: {w.message}")
            if self.record:
                self.out_dir.mkdir(parents=True, exist_ok=True)
                recorder = self._recorder(plan, sat, source)
            sink = _PassSink(plan, recorder, self.hub, self.echo)
            sinks: list[Sink] = [sink]
            if self.frame_log is not None:
                kind = modes_label(modes)
                settings = {"protocol": kind, "satellite": sat.name, **modes_settings(modes)}
                sinks.append(SqliteSink(self.frame_log, plan.id, kind, settings))
            end = plan.los

            def on_block(block: SampleBlock, run_stats: RunStats) -> None:
                if recorder is not None:
                    recorder(block, run_stats)
                if self.hub is not None:
                    self.hub.spectrum(block.samples, info.center_freq, info.sample_rate)
                tracker.tick()
                if self.clock.now() >= end or self.stop_event.is_set():
                    source.stop()

            stats = run_pipeline(
                source,
                receivers,
                sinks,
                [stage],
                block_size=self.block_size,
                on_block=on_block,
                keep_frames=False,
            )
            result.status = "done"
            if stats.interrupted:  # Ctrl-C or SIGTERM reached the pipeline: the station stops
                result.status = "interrupted"
                self.stop_event.set()
        except KeyboardInterrupt:
            self.stop_event.set()
            result.status = "interrupted"
        except SdrlinkError as exc:
            result.error = str(exc)
            self.log(f"pass {plan.id}: {exc}")
        except Exception as exc:  # a bug in one pass's decoding never stops the station
            result.error = f"internal error: {exc!r}"
            self.log(f"pass {plan.id}: internal error, pass abandoned:\n{traceback.format_exc()}")
        finally:
            if sink is not None:
                result.frames = sink.frames
            if stats is not None:
                result.samples, result.gaps = stats.samples, stats.gaps
                result.lost_samples = stats.lost_samples
            if recorder is not None:
                try:
                    recorder.close()
                    result.recording = recorder.writer.meta_path
                    result.gaps = max(result.gaps, recorder.gaps)
                except Exception as exc:  # e.g. disk full: report, go on
                    self.log(f"pass {plan.id}: recording not written: {exc}")

    def _recorder(self, plan: PlannedPass, sat: Satellite, source: Source):
        from sdrlink.sources.recorder import Recorder

        base = _unique_base(self.out_dir, plan.id)
        st = self.station
        extra = {
            "sdrlink:satellite": sat.name,
            "sdrlink:norad": plan.tle.norad,
            "sdrlink:tle": [plan.tle.name, plan.tle.line1, plan.tle.line2],
            "sdrlink:station": {
                "name": self.station_name,
                "lat": st.lat,
                "lon": st.lon,
                "alt": st.alt,
            },
            "sdrlink:pass": {
                k: v for k, v in plan.to_dict().items() if k not in ("track", "status", "note")
            },
            "sdrlink:protocol": sat.protocol,
            "sdrlink:downlink_hz": sat.frequency_hz,
        }
        return Recorder(
            str(base) + ".sigmf-meta",
            source,
            self.datatype,
            self.radio.device,
            description=f"sdrlink station {self.station_name}: {sat.name} pass {plan.id}",
            extra_global=extra,
        )

    def _export(self, plan: PlannedPass, result: PassResult) -> None:
        """The pass's frames as JSONL and CSV, each written atomically."""
        if result.status == "missed" and not result.frames:
            return
        base = result.recording.with_suffix("") if result.recording else self.out_dir / plan.id
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            jsonl = base.with_name(base.name + ".frames.jsonl")
            csv = base.with_name(base.name + ".frames.csv")
            write_text_atomic(jsonl, frames_jsonl(result.frames, plan.satellite))
            write_text_atomic(csv, frames_csv(result.frames, plan.satellite))
            result.jsonl, result.csv = jsonl, csv
        except OSError as exc:
            self.log(f"pass {plan.id}: frame export not written: {exc}")
