"""Simulate a recording of a satellite (or ground) transmitter, with ground truth.

Frames from a protocol's modulator are placed at their times in a SigMF
recording, block by block in constant memory, through this channel:

* transmitter crystal ``tx_ppm``: carrier ``f_c (1 + tx_ppm 1e-6)`` and symbol
  clock ``fs (1 + tx_ppm 1e-6)``; plus an explicit carrier offset ``cfo_hz``
  drifting at ``drift_hz_s``;
* Doppler from a TLE and a station (optional): the received carrier and the
  waveform's time scale are multiplied by ``1 - range_rate / c``; frames are
  sent only while the satellite is above ``min_elevation``;
* receiver crystal ``rx_ppm``: LO at ``f_c (1 + rx_ppm 1e-6)`` and sample clock
  ``fs (1 + rx_ppm 1e-6)``; ``sfo_ppm`` adds a sample-clock-only error;
* white Gaussian noise: a fixed in-band ``snr_db``, or (link budget) an SNR
  that follows free-space path loss, ``snr_ref_db`` at ``ref_range_km``.

The carrier offset of the whole stream is applied by a phase-continuous NCO
as a piecewise-linear curve on the fixed segment grid of
:mod:`sdrlink.doppler.curve`, so it is exactly the kind of curve the Doppler
stage removes. Each frame's truth (payload hex, SNR, Doppler, total carrier
offset, elevation) is written as a SigMF annotation.
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from sdrlink.channel import apply_sfo
from sdrlink.doppler.curve import PiecewiseNco
from sdrlink.doppler.orbit import C_LIGHT, Orbit, from_posix, to_posix
from sdrlink.errors import ConfigError
from sdrlink.protocols import Protocol, get_protocol
from sdrlink.sources.writer import SigMFWriter

BLOCK = 1 << 16  # samples generated per step (fixed: the noise depends on it)
NOISE_RMS = 0.05  # noise level before any rescaling to keep integer formats unclipped
HEADROOM = 0.9  # largest expected |sample| after rescaling


@dataclass
class SimFrame:
    """Ground truth of one simulated frame (also written as a SigMF annotation)."""

    index: int
    sample_start: int
    sample_count: int
    payload: bytes
    time: str | None
    snr_db: float
    doppler_hz: float  # -f_c * range_rate / c at the frame start (what a TLE stage removes)
    offset_hz: float  # total carrier offset at the frame start, as the receiver sees it
    cfo_hz: float  # the part of offset_hz not due to Doppler (crystals, cfo, drift)
    elevation_deg: float | None = None
    range_km: float | None = None

    def extra(self) -> dict[str, Any]:
        d = asdict(self)
        for key in ("sample_start", "sample_count", "index"):
            d.pop(key)
        d["payload"] = self.payload.hex()
        d["frame"] = self.index
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass
class SimResult:
    """What :func:`simulate_recording` wrote."""

    meta_path: str
    num_samples: int
    frames: list[SimFrame] = field(default_factory=list)
    skipped_below_horizon: int = 0


@dataclass
class _Channel:
    """The link between transmitter and receiver (see the module docstring)."""

    sample_rate: float
    center_freq: float
    cfo_hz: float = 0.0
    drift_hz_s: float = 0.0
    sfo_ppm: float = 0.0
    tx_ppm: float = 0.0
    rx_ppm: float = 0.0
    orbit: Orbit | None = None
    t0: float = 0.0  # POSIX time of sample 0 (with an orbit)

    @property
    def rx_gain(self) -> float:
        """Receiver samples per true second, relative to nominal."""
        return (1 + self.rx_ppm * 1e-6) * (1 + self.sfo_ppm * 1e-6)

    def sample_at(self, t: float) -> int:
        """Receiver sample index at true time ``t`` (s after sample 0)."""
        return int(round(t * self.sample_rate * self.rx_gain))

    def offset_at(self, index: np.ndarray) -> np.ndarray:
        """Carrier offset (Hz on the receiver's nominal scale) at absolute sample indices."""
        t = index / (self.sample_rate * self.rx_gain)  # true seconds since sample 0
        f_c = self.center_freq
        carrier = f_c * (1 + self.tx_ppm * 1e-6) + self.cfo_hz + self.drift_hz_s * t
        if self.orbit is not None:
            carrier = carrier * (1 - self.orbit.range_rate(self.t0 + t) / C_LIGHT)
        return (carrier - f_c * (1 + self.rx_ppm * 1e-6)) / self.rx_gain

    def time_scale(self, range_rate: float) -> float:
        """Receiver samples per transmitted sample (clocks and Doppler compression)."""
        return self.rx_gain / ((1 + self.tx_ppm * 1e-6) * (1 - range_rate / C_LIGHT))


def _signal_bw(params: Any, sample_rate: float, signal_bw: float | None) -> float:
    """Bandwidth the SNR refers to: given, the protocol's ``snr_bandwidth`` or ``bw``,
    Carson's rule (2 deviation + baud) for FSK-like parameters, else the sample rate."""
    if signal_bw:
        return float(signal_bw)
    for name in ("snr_bandwidth", "bw", "bandwidth"):
        value = getattr(params, name, None)
        if isinstance(value, (int, float)) and value > 0:
            return float(value)
    baud, dev = getattr(params, "baud", None), getattr(params, "deviation", None)
    if isinstance(baud, (int, float)) and isinstance(dev, (int, float)) and baud > 0:
        return float(2 * abs(dev) + baud)
    return float(sample_rate)


def _payloads(payloads: Sequence[bytes] | None, payload: bytes | None, n: int) -> list[bytes]:
    if payloads is not None:
        return [bytes(p) for p in payloads]
    if payload is not None:
        return [bytes(payload)] * n
    return [f"SDRLINK SIM {i:05d}".encode() for i in range(n)]


def simulate_recording(
    out_path: str | os.PathLike[str],
    protocol: str | Protocol,
    options: dict[str, Any],
    *,
    sample_rate: float,
    center_freq: float,
    duration: float | None = None,
    payloads: Sequence[bytes] | None = None,
    payload: bytes | None = None,
    count: int | None = None,
    interval_s: float = 10.0,
    first_s: float = 1.0,
    snr_db: float | None = 10.0,
    snr_ref_db: float | None = None,
    ref_range_km: float = 1000.0,
    cfo_hz: float = 0.0,
    drift_hz_s: float = 0.0,
    sfo_ppm: float = 0.0,
    tx_ppm: float = 0.0,
    rx_ppm: float = 0.0,
    tle: str | os.PathLike[str] | None = None,
    sat: str | int | None = None,
    station: str | None = None,
    start_time: _dt.datetime | None = None,
    min_elevation: float = 0.0,
    signal_bw: float | None = None,
    seed: int | None = None,
    datatype: str = "cf32_le",
    description: str = "",
    force: bool = False,
) -> SimResult:
    """Write a simulated SigMF recording to ``out_path``; returns its ground truth.

    Frames are sent every ``interval_s`` seconds from ``first_s`` on: ``count``
    of them, one per entry of ``payloads``, or as many whole frames as fit in
    ``duration``. ``payload`` repeats one payload; by default each frame
    carries "SDRLINK SIM nnnnn". With ``tle`` (and ``station``, ``start_time``)
    the Doppler of satellite ``sat`` is applied and slots with the satellite
    below ``min_elevation`` stay empty. ``snr_ref_db`` switches to the
    link-budget SNR (free-space loss relative to ``ref_range_km``; needs a
    TLE). The SNR is measured in ``signal_bw`` (default: the protocol's
    bandwidth parameter). The output depends only on the arguments and ``seed``.
    An existing recording is replaced only with ``force``. Interrupted
    (Ctrl-C, SIGTERM), the recording keeps what was written, with the truth of
    every frame written whole.
    """
    settings = {k: v for k, v in locals().items() if k not in ("out_path", "payloads", "force")}
    _check_out(out_path, force)
    for name in ("snr_db", "snr_ref_db", "cfo_hz", "drift_hz_s", "sfo_ppm", "tx_ppm", "rx_ppm"):
        value = settings[name]
        if value is not None and not math.isfinite(float(value)):
            raise ConfigError(f"{name} must be a finite number, not {value!r}")
    for name in ("interval_s", "first_s", "ref_range_km"):
        if not math.isfinite(float(settings[name])):
            raise ConfigError(f"{name} must be a finite number, not {settings[name]!r}")
    if count is not None and count < 1:
        raise ConfigError(f"the frame count must be at least 1, not {count}")
    if duration is not None and not (math.isfinite(duration) and duration > 0):
        raise ConfigError(f"duration must be a positive number of seconds, not {duration}")
    proto = get_protocol(protocol) if isinstance(protocol, str) else protocol
    params = proto.make_params(dict(options))
    fs = float(sample_rate)
    if not fs > 0:
        raise ConfigError(f"sample rate must be positive, not {sample_rate}")
    if not interval_s > 0:
        raise ConfigError(f"frame interval must be positive, not {interval_s} s")
    if snr_ref_db is None and snr_db is None:
        raise ConfigError("give an SNR (--snr DB) or a link budget (--snr-ref DB)")
    orbit = _orbit(tle, sat, station, start_time)
    if snr_ref_db is not None and orbit is None:
        raise ConfigError("the link-budget SNR (--snr-ref) needs --tle, --sat and --station")
    link = _Channel(fs, float(center_freq), cfo_hz, drift_hz_s, sfo_ppm, tx_ppm, rx_ppm, orbit)
    if start_time is not None:
        link.t0 = float(to_posix(start_time))
    if payloads is not None:
        count = len(payloads)
    longest = max(  # payloads=[]: noise only (the station's simulated radio between frames)
        (len(proto.modulate(params, p, fs)) / fs for p in _payloads(payloads, payload, 1)),
        default=0.0,
    )
    if longest > interval_s and (count is None or count > 1):
        raise ConfigError(
            f"a frame lasts {longest:.3g} s on air, longer than the {interval_s:g} s between "
            "frame starts: frames would overlap (raise the interval)"
        )
    if duration is None:
        if not count:
            raise ConfigError("say how long to simulate: a duration, a frame count or payloads")
        duration = first_s + (count - 1) * interval_s + longest + 1.0
    if not duration > 0:
        raise ConfigError(f"duration must be positive, not {duration} s")
    n_total = int(round(duration * fs))
    _check_space(out_path, n_total, datatype)
    slots = int(math.floor((duration - first_s) / interval_s)) + 1 if duration > first_s else 0
    if count is not None:
        slots = min(slots, count)

    def snr_of(range_km: float | None) -> float:
        if snr_ref_db is not None and range_km is not None:
            return snr_ref_db + 20 * math.log10(ref_range_km / range_km)
        return float(snr_db if snr_db is not None else 0.0)

    plans: list[tuple[SimFrame, float]] = []  # (truth, receiver samples per tx sample)
    skipped = 0
    for i, pay in enumerate(_payloads(payloads, payload, slots)):
        t = first_s + i * interval_s
        start = link.sample_at(t)
        doppler, elev, rng_km, range_rate = 0.0, None, None, 0.0
        if orbit is not None:
            look = orbit.look(np.array([link.t0 + t]))
            elev, rng_km = float(look.elevation[0]), float(look.range_m[0]) / 1e3
            range_rate = float(look.range_rate[0])
            if elev < min_elevation:
                skipped += 1
                continue
            doppler = -link.center_freq * range_rate / C_LIGHT
        ratio = link.time_scale(range_rate)
        if start + len(proto.modulate(params, pay, fs)) * ratio + 1 > n_total:
            break  # only whole frames go into the recording
        offset = float(link.offset_at(np.array([start]))[0])
        truth = SimFrame(
            index=i,
            sample_start=start,
            sample_count=0,
            payload=pay,
            time=_iso(link.t0 + t) if start_time is not None else None,
            snr_db=snr_of(rng_km),
            doppler_hz=doppler,
            offset_hz=offset,
            cfo_hz=offset - doppler,
            elevation_deg=elev,
            range_km=rng_km,
        )
        plans.append((truth, ratio))

    settings["protocol"] = proto.name
    settings["signal_bw"] = _signal_bw(params, fs, signal_bw)
    result = SimResult(meta_path="", num_samples=n_total, skipped_below_horizon=skipped)
    with SigMFWriter(
        out_path,
        sample_rate=fs,
        center_freq=link.center_freq,
        datatype=datatype,
        start_time=start_time,
        description=description or f"sdrlink simulation: {proto.name}",
        hw="sdrlink simulate",
        extra_global={"sdrlink:simulation": _settings(settings, orbit)},
    ) as writer:
        rng = np.random.default_rng(seed)
        half = settings["signal_bw"] / 2
        try:
            _write_samples(writer, proto, params, plans, link, n_total, settings["signal_bw"], rng)
        except KeyboardInterrupt:
            # keep the recording so far, with the truth of each frame it holds whole
            written = writer.samples_written
            plans = [
                (t, r)
                for t, r in plans
                if t.sample_count and t.sample_start + t.sample_count <= written
            ]
            _annotate(writer, proto.name, plans, link, half, result)
            raise
        _annotate(writer, proto.name, plans, link, half, result)
    result.meta_path = str(writer.meta_path)
    return result


def _annotate(
    writer: SigMFWriter,
    name: str,
    plans: list[tuple[SimFrame, float]],
    link: _Channel,
    half: float,
    result: SimResult,
) -> None:
    """One truth annotation per frame."""
    for truth, _ in plans:
        f = link.center_freq + truth.offset_hz
        writer.add_annotation(
            truth.sample_start,
            truth.sample_count,
            label=f"{name} frame {truth.index}",
            comment=truth.payload.hex(),
            freq_lower=f - half,
            freq_upper=f + half,
            extra=truth.extra(),
        )
        result.frames.append(truth)


def _check_out(out_path: str | os.PathLike[str], force: bool) -> None:
    """A SigMF name (no other format's extension); an existing recording only with force."""
    from sdrlink.sources.sigmf import meta_and_data_paths

    name = os.fspath(out_path)
    base = os.path.basename(name)
    if not base.endswith((".sigmf-meta", ".sigmf-data")) and "." in base.lstrip("."):
        ext = base.rsplit(".", 1)[1]
        raise ConfigError(
            f"{name}: simulate writes SigMF recordings; name the output without the "
            f".{ext} extension (it becomes NAME.sigmf-meta and NAME.sigmf-data)"
        )
    meta, data = meta_and_data_paths(name)
    existing = [str(p) for p in (meta, data) if p.exists()]
    if existing and not force:
        raise ConfigError(f"{existing[0]} exists; give --force to replace it")


def _check_space(out_path: str | os.PathLike[str], n_samples: int, datatype: str) -> None:
    """Refuse a recording larger than the free space of its folder."""
    import shutil

    from sdrlink.sources.sigmf import meta_and_data_paths

    size = n_samples * {"cf32_le": 8, "ci16_le": 4, "ci8": 2, "cu8": 2}.get(datatype, 8)
    folder = meta_and_data_paths(out_path)[1].parent
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return  # the writer reports a missing folder
    if size > free:
        raise ConfigError(
            f"the recording would take {size / 1e9:.3g} GB, but {folder} has "
            f"{free / 1e9:.3g} GB free (shorten --duration or lower --rate)"
        )


def _write_samples(
    writer: SigMFWriter,
    proto: Protocol,
    params: Any,
    plans: list[tuple[SimFrame, float]],
    link: _Channel,
    n_total: int,
    bw: float,
    rng: np.random.Generator,
) -> None:
    """Generate and write the stream block by block; fills in each frame's sample count.

    Only the frames overlapping the current block are held in memory. Blocks
    without signal skip the NCO (it keeps its absolute timeline across them).
    """
    fs = link.sample_rate
    nco = PiecewiseNco(fs, link.offset_at, sign=+1, phase=float(rng.random()))
    # levels: noise power and per-frame amplitude; keep integer formats from clipping
    amp = [math.sqrt(10 ** (f.snr_db / 10) * NOISE_RMS**2 * bw / fs) for f, _ in plans]
    gain = min(1.0, HEADROOM / (max(amp, default=0.0) + 4 * NOISE_RMS))
    noise_sigma = np.float32(NOISE_RMS * gain / math.sqrt(2))
    pending: list[tuple[SimFrame, np.ndarray]] = []
    next_plan = 0
    for b0 in range(0, n_total, BLOCK):
        n = min(BLOCK, n_total - b0)
        b1 = b0 + n
        while next_plan < len(plans) and plans[next_plan][0].sample_start < b1:
            truth, ratio = plans[next_plan]
            wave = _frame_wave(proto, params, truth.payload, fs, ratio)
            wave *= np.float32(amp[next_plan] * gain / _rms(wave))
            truth.sample_count = len(wave)
            pending.append((truth, wave))
            next_plan += 1
        sig = np.zeros(n, dtype=np.complex64)
        for truth, wave in pending:
            a = max(truth.sample_start, b0)
            b = min(truth.sample_start + len(wave), b1)
            if b > a:
                sig[a - b0 : b - b0] += wave[a - truth.sample_start : b - truth.sample_start]
        pending = [(t, w) for t, w in pending if t.sample_start + len(w) > b1]
        if pending or np.any(sig):
            sig = nco.process(sig, b0)
        noise = rng.standard_normal(2 * n, dtype=np.float32) * noise_sigma
        sig += noise.view(np.complex64)
        writer.write(sig)


def _orbit(
    tle: str | os.PathLike[str] | None,
    sat: str | int | None,
    station: str | None,
    start_time: _dt.datetime | None,
) -> Orbit | None:
    if tle is None:
        if station is not None:
            raise ConfigError("--station needs --tle")
        return None
    if station is None:
        raise ConfigError("--tle needs --station LAT,LON,ALT")
    if start_time is None:
        raise ConfigError("simulating a satellite pass needs a start time (--start)")
    from sdrlink.doppler.orbit import make_orbit

    return make_orbit(os.fspath(tle), sat, station)


def _frame_wave(
    proto: Protocol, params: Any, payload: bytes, fs: float, ratio: float
) -> np.ndarray:
    """The frame's waveform as the receiver's sample clock sees it."""
    wave = np.asarray(proto.modulate(params, payload, fs), dtype=np.complex64)
    ppm = (ratio - 1.0) * 1e6
    if abs(ppm) > 1e-3:
        wave = apply_sfo(wave, ppm)
    return np.array(wave, dtype=np.complex64)


def _rms(x: np.ndarray) -> float:
    p = np.abs(x) ** 2
    active = p > 1e-6 * max(float(p.max()), 1e-30)
    return math.sqrt(float(p[active].mean())) if active.any() else 1.0


def _iso(t: float) -> str:
    return from_posix(t).isoformat().replace("+00:00", "Z")


def _settings(settings: dict[str, Any], orbit: Orbit | None) -> dict[str, Any]:
    """The simulation settings, JSON-able, for the recording's global metadata."""
    keep = {k: v for k, v in settings.items() if v is not None and k != "description"}
    if "snr_ref_db" in keep:
        keep.pop("snr_db", None)  # the link budget sets each frame's SNR
    if isinstance(keep.get("payload"), bytes):
        keep["payload"] = keep["payload"].hex()
    if "start_time" in keep:
        keep["start_time"] = _iso(float(to_posix(keep["start_time"])))
    if "tle" in keep:
        keep["tle"] = os.path.basename(os.fspath(keep["tle"]))
    if orbit is not None:
        keep.update(
            satellite=orbit.tle.label,
            norad=orbit.tle.norad,
            tle_line1=orbit.tle.line1,
            tle_line2=orbit.tle.line2,
        )
    out: dict[str, Any] = json.loads(json.dumps(keep, default=str))
    return out


def next_pass_window(
    tle: str | os.PathLike[str],
    sat: str | int | None,
    station: str,
    after: _dt.datetime,
    *,
    min_elevation: float = 0.0,
    margin_s: float = 5.0,
    hours: float = 48.0,
) -> tuple[_dt.datetime, float]:
    """Start time and duration covering the next whole pass after ``after``."""
    from sdrlink.doppler.orbit import make_orbit
    from sdrlink.doppler.passes import find_passes

    orbit = make_orbit(os.fspath(tle), sat, station)
    for p in find_passes(orbit, after, hours, min_elevation=min_elevation):
        if not p.clipped:
            start = p.aos - _dt.timedelta(seconds=margin_s)
            return start, p.duration_s + 2 * margin_s
    raise ConfigError(
        f"{orbit.tle.label} has no complete pass above {min_elevation} degrees within "
        f"{hours:.0f} h after {after:%Y-%m-%d %H:%M} UTC"
    )
