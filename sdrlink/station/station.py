"""The unattended station: plan passes, wait, take each one, repeat for weeks.

The loop: refresh the TLEs when due, keep a schedule ``horizon_hours`` ahead
(replanned when half of it has gone by or the TLEs changed), sleep on the
station clock until the next pass (turning the rotator to the rise azimuth
``lead_s`` before), hand the pass to :class:`~sdrlink.station.runner.PassRunner`,
park the rotator, record the outcome, and go on. Outcomes are kept in
``state.json`` in the output folder, so a restarted station does not take a
finished pass again and rejoins one still in the sky. The schedule is printed
when it is made, written to ``schedule.json`` and appended to ``station.log``.
"""

from __future__ import annotations

import datetime as _dt
import json
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sdrlink.errors import ConfigError
from sdrlink.station.clock import Clock, RealClock
from sdrlink.station.config import StationConfig
from sdrlink.station.files import remove_stale_temporaries, write_json_atomic
from sdrlink.station.runner import LiveRadio, PassResult, PassRunner, Radio
from sdrlink.station.schedule import PlannedPass, format_schedule, predict, resolve
from sdrlink.station.tles import TleStore

STATE_VERSION = 1
#: the prediction window starts this far back, so a pass under way keeps its AOS (and id)
LOOKBACK_H = 1.0


@dataclass
class StationSummary:
    """What a run of the station did."""

    results: list[PassResult] = field(default_factory=list)
    stopped_by: str = ""

    @property
    def passes(self) -> int:
        return len(self.results)


class GroundStation:
    """A station built from a :class:`StationConfig` (see the module docstring).

    ``clock``, ``radio``, ``rotator``, ``hub`` and ``tle_fetch`` are injectable:
    tests run on a simulated clock with simulated passes; the CLI uses the
    real clock, the configured radio and rotctld.
    """

    def __init__(
        self,
        config: StationConfig,
        *,
        clock: Clock | None = None,
        radio: Radio | None = None,
        rotator: Any = None,
        hub: Any = None,
        tle_fetch: Callable[[str], str] | None = None,
        out: Callable[[str], None] | None = None,
        echo_frames: bool = True,
    ) -> None:
        self.config = config
        self.clock = clock or RealClock()
        self.radio = radio or LiveRadio(config.sdr, self.clock)
        self.hub = hub
        self.out = out or (lambda m: print(m, flush=True))
        self.stop_event = threading.Event()
        self.folder = config.folder
        self.rotator = rotator
        if self.rotator is None and config.rotator is not None:
            from sdrlink.station.rotator import RotctldClient

            self.rotator = RotctldClient(config.rotator.host, config.rotator.port, notify=self.warn)
        kwargs: dict[str, Any] = {} if tle_fetch is None else {"fetch": tle_fetch}
        self.tles = TleStore(
            list(config.tle_sources), self.folder / "tle-cache", self.warn, **kwargs
        )
        self.runner = PassRunner(
            station=config.station,
            station_name=config.name,
            radio=self.radio,
            clock=self.clock,
            out_dir=config.passes_dir,
            frame_log=config.frame_log,
            record=config.sdr.record,
            datatype=config.sdr.datatype,
            rotator=self.rotator,
            rotator_update_s=config.rotator.update_s if config.rotator else 1.0,
            hub=hub,
            log=self.say,
            echo=self.out if echo_frames else None,
            stop_event=self.stop_event,
        )
        self.schedule: list[PlannedPass] = []
        self.plan_start: _dt.datetime | None = None
        self.plan_end: _dt.datetime | None = None
        self.outcomes: dict[str, dict[str, Any]] = {}

    # -- output ----------------------------------------------------------------------------

    def _log_line(self, message: str) -> None:
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            stamp = self.clock.now().isoformat(timespec="seconds").replace("+00:00", "Z")
            with open(self.folder / "station.log", "a", encoding="utf-8") as f:
                f.write("".join(f"{stamp} {line}\n" for line in message.splitlines()))
        except OSError:
            pass

    def say(self, message: str) -> None:
        self.out(message)
        self._log_line(message)
        if self.hub is not None:
            self.hub.log(message, self.clock.now().timestamp())

    def warn(self, message: str) -> None:
        print(f"sdrlink: warning: {message}", file=sys.stderr, flush=True)
        self._log_line(f"warning: {message}")
        if self.hub is not None:
            self.hub.log(f"warning: {message}", self.clock.now().timestamp())

    # -- state -----------------------------------------------------------------------------

    @property
    def state_path(self) -> Path:
        return self.folder / "state.json"

    def load_state(self) -> None:
        try:
            data = json.loads(self.state_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return
        except (OSError, ValueError) as exc:
            raise ConfigError(f"{self.state_path}: unreadable station state ({exc})") from None
        if data.get("version") != STATE_VERSION:
            raise ConfigError(f"{self.state_path}: unknown station state version")
        self.outcomes = dict(data.get("passes", {}))

    def save_state(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        write_json_atomic(self.state_path, {"version": STATE_VERSION, "passes": self.outcomes})

    # -- TLEs and schedule -----------------------------------------------------------------

    def refresh_tles(self) -> None:
        failed = self.tles.refresh(self.clock.now())
        if not self.tles.all():
            raise ConfigError(
                "no TLEs could be read from any source: " + ", ".join(self.config.tle_sources)
            )
        if failed == 0:
            self._log_line(f"TLEs refreshed: {len(self.tles.all())} element sets")

    def replan(self, announce: bool = True) -> list[PlannedPass]:
        """Predict and resolve the passes from now for ``horizon_hours``."""
        now = self.clock.now()
        start = now - _dt.timedelta(hours=LOOKBACK_H)
        hours = self.config.horizon_hours + LOOKBACK_H
        found = predict(
            self.config.satellites, self.tles, self.config.station, start, hours, self.warn
        )
        # a pass cut by the window edges has no true AOS or LOS yet: next time
        found = [p for p in found if p.aos > start and p.los < start + _dt.timedelta(hours=hours)]
        fixed = []
        for p in found:
            outcome = self.outcomes.get(p.id)
            if outcome is not None:
                p.status = outcome["status"]
                fixed.append(p)
        self.schedule = resolve(found, fixed)
        for p in self.schedule:
            if p.status == "planned" and p.los <= now:
                p.status, p.note = "missed", "station not running"
        self.plan_start, self.plan_end = now, now + _dt.timedelta(hours=self.config.horizon_hours)
        upcoming = [p for p in self.schedule if p.los > now]
        if announce:
            self.say(f"schedule from {now:%Y-%m-%d %H:%M:%S}Z ({len(upcoming)} passes):")
            self.say(format_schedule(upcoming))
        self._publish_schedule()
        return self.schedule

    def _publish_schedule(self) -> None:
        now = self.clock.now()
        keep = [p for p in self.schedule if p.los > now - _dt.timedelta(hours=2)]
        data = [p.to_dict() for p in keep]
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            write_json_atomic(
                self.folder / "schedule.json", {"generated": now.isoformat(), "passes": data}
            )
        except OSError as exc:
            self.warn(f"schedule.json not written: {exc}")
        if self.hub is not None:
            self.hub.schedule(data)

    def next_pass(self) -> PlannedPass | None:
        now = self.clock.now()
        for p in self.schedule:
            if p.status == "planned" and p.los > now + _dt.timedelta(seconds=2):
                return p
        return None

    # -- the loop --------------------------------------------------------------------------

    def stop(self) -> None:
        self.stop_event.set()

    def _recording_entry(self, pid: str, outcome: dict[str, Any]) -> dict[str, Any]:
        return {"id": pid, **outcome}

    def run(
        self, *, max_passes: int | None = None, until: _dt.datetime | None = None
    ) -> StationSummary:
        """Run until ``stop()``, ``max_passes`` passes or the clock reaches ``until``."""
        summary = StationSummary()
        removed = remove_stale_temporaries(self.folder)
        if removed:
            self.say(f"removed {len(removed)} unfinished file(s) of an earlier run")
        self.load_state()
        if self.hub is not None:
            for pid, outcome in sorted(self.outcomes.items()):
                if outcome.get("recording") or outcome.get("jsonl"):
                    self.hub.recording(self._recording_entry(pid, outcome))
            st = self.config.station
            self.hub.status(
                station=self.config.name,
                position=[st.lat, st.lon, st.alt],
                device=self.radio.device,
            )
        self.refresh_tles()
        self.replan()
        refresh_every = _dt.timedelta(hours=self.config.refresh_hours)
        lead = _dt.timedelta(seconds=self.config.rotator.lead_s if self.config.rotator else 0.0)
        while not self.stop_event.is_set():
            now = self.clock.now()
            if until is not None and now >= until:
                summary.stopped_by = "until"
                break
            assert self.tles.refreshed is not None and self.plan_end is not None
            if now - self.tles.refreshed >= refresh_every:
                self.refresh_tles()
                self.replan()
                continue
            if self.plan_end - now <= _dt.timedelta(hours=self.config.horizon_hours / 2):
                self.replan(announce=False)
                continue
            nxt = self.next_pass()
            wake = [
                self.tles.refreshed + refresh_every,
                self.plan_end - _dt.timedelta(hours=self.config.horizon_hours / 2),
            ]
            if until is not None:
                wake.append(until)
            if nxt is None:
                self.clock.sleep_until(min(wake), self.stop_event)
                continue
            if now < nxt.aos - lead:
                self._status(f"waiting for {nxt.satellite} at {nxt.aos:%H:%M:%S}Z")
                self.clock.sleep_until(min([*wake, nxt.aos - lead]), self.stop_event)
                continue
            if now < nxt.aos and self.rotator is not None:
                _, az, _ = nxt.track[0]
                self.rotator.try_point(az, 0.0)
                self.clock.sleep_until(nxt.aos, self.stop_event)
                continue
            summary.results.append(self._take(nxt))
            if max_passes is not None and summary.passes >= max_passes:
                summary.stopped_by = "passes"
                break
        else:
            summary.stopped_by = "stop"
        return summary

    def _status(self, text: str) -> None:
        if self.hub is not None:
            self.hub.status(state=text, now=self.clock.now().isoformat())

    def _take(self, plan: PlannedPass) -> PassResult:
        self.say(
            f"AOS {plan.satellite}: pass {plan.id}, max {plan.max_elevation:.0f}° at "
            f"{plan.tca:%H:%M:%S}Z, LOS {plan.los:%H:%M:%S}Z"
            + (f" (stale TLE, {plan.tle_age_days:.0f} days)" if plan.stale else "")
        )
        plan.status = "recording"
        self._status(f"recording {plan.satellite}")
        self._publish_schedule()
        result = self.runner.run(plan)
        if self.rotator is not None and self.config.rotator is not None:
            self.rotator.try_point(self.config.rotator.park_az, self.config.rotator.park_el)
        interrupted = result.status == "interrupted"
        if not interrupted:  # an interrupted pass is rejoined at the next start
            plan.status = result.status
            outcome = result.to_dict()
            outcome.update(
                satellite=plan.satellite,
                aos=plan.to_dict()["aos"],
                los=plan.to_dict()["los"],
                max_elevation=round(plan.max_elevation, 2),
            )
            outcome.pop("id")
            self.outcomes[plan.id] = outcome
            self.save_state()
            if self.hub is not None and (result.recording or result.jsonl):
                self.hub.recording(self._recording_entry(plan.id, outcome))
        else:
            plan.status = "planned"
        self._publish_schedule()
        self._status("idle")
        rec = f", recorded to {result.recording.name}" if result.recording else ""
        gaps = f", {result.gaps} gap(s) ({result.lost_samples} samples lost)" if result.gaps else ""
        err = f": {result.error}" if result.error and not interrupted else ""
        self.say(
            f"LOS {plan.satellite}: pass {plan.id} {result.status}{err}; {len(result.frames)} "
            f"frame(s), {result.valid_frames} valid{rec}{gaps}"
        )
        return result
