"""Live samples from any SoapySDR device (RTL-SDR, HackRF, Airspy, LimeSDR ...).

The SoapySDR Python bindings come from the operating system (``apt install
python3-soapysdr`` plus a module per radio); sdrlink's virtualenv sees them
through ``--system-site-packages``. Every setting is checked against the ranges
the device reports before it is applied, so a wrong frequency, rate or gain
fails at once with a :class:`~sdrlink.errors.DeviceError` naming what the
device supports.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError, DeviceError
from sdrlink.sources.live import LiveSource, ReadResult

INSTALL_HINT = (
    "SoapySDR's Python bindings are not importable. Install them with "
    "'sudo apt install python3-soapysdr soapysdr-module-rtlsdr soapysdr-module-hackrf' "
    "(one module per radio type) and make sure sdrlink's virtualenv can see system "
    "packages (created with 'python3 -m venv --system-site-packages' from /usr/bin/python3)"
)

# SoapySDR's C constants, used when a stand-in device is given without the bindings
_FALLBACK = {
    "SOAPY_SDR_RX": 1,
    "SOAPY_SDR_CF32": "CF32",
    "SOAPY_SDR_TIMEOUT": -1,
    "SOAPY_SDR_STREAM_ERROR": -2,
    "SOAPY_SDR_CORRUPTION": -3,
    "SOAPY_SDR_OVERFLOW": -4,
    "SOAPY_SDR_NOT_SUPPORTED": -5,
    "SOAPY_SDR_TIME_ERROR": -6,
    "SOAPY_SDR_UNDERFLOW": -7,
    "SOAPY_SDR_HAS_TIME": 1 << 2,
}
_ERROR_NAMES = {
    -1: "TIMEOUT",
    -2: "STREAM_ERROR",
    -3: "CORRUPTION",
    -4: "OVERFLOW",
    -5: "NOT_SUPPORTED",
    -6: "TIME_ERROR",
    -7: "UNDERFLOW",
}


def soapy_module() -> Any:
    """The ``SoapySDR`` module, or DeviceError saying what to install."""
    try:
        import SoapySDR  # type: ignore[import-not-found]
    except ImportError:
        raise DeviceError(INSTALL_HINT) from None
    return SoapySDR


def _const(mod: Any, name: str) -> Any:
    return getattr(mod, name) if mod is not None else _FALLBACK[name]


def parse_device_args(text: str | None) -> dict[str, str]:
    """``"driver=rtlsdr,serial=0001"`` -> ``{"driver": "rtlsdr", "serial": "0001"}``."""
    out: dict[str, str] = {}
    for part in (text or "").split(","):
        part = part.strip()
        if not part:
            continue
        key, sep, value = part.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"bad device argument {part!r}; use KEY=VALUE[,KEY=VALUE...]")
        out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class Gain:
    """A gain request: automatic (AGC), one overall value, or values per element."""

    agc: bool = False
    overall: float | None = None
    elements: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        if self.agc:
            return "agc"
        if self.overall is not None:
            return f"{self.overall:g} dB"
        return ", ".join(f"{k}={v:g} dB" for k, v in self.elements.items())


def parse_gain(text: str | float | None) -> Gain | None:
    """``"40"`` (overall dB), ``"LNA=20,VGA=10"`` (per element) or ``"agc"``."""
    if text is None:
        return None
    if isinstance(text, (int, float)):
        return Gain(overall=float(text))
    t = text.strip()
    if t.lower() in ("agc", "auto"):
        return Gain(agc=True)
    try:
        if "=" not in t:
            return Gain(overall=_finite(float(t)))
        elements = {}
        for part in t.split(","):
            name, _, value = part.partition("=")
            if not name.strip():
                raise ValueError
            elements[name.strip()] = _finite(float(value))
        return Gain(elements=elements)
    except ValueError:
        raise ConfigError(
            f"bad gain {text!r}; use dB ('40'), per element ('LNA=20,VGA=10') or 'agc'"
        ) from None


def _finite(v: float) -> float:
    if not math.isfinite(v):
        raise ValueError
    return v


# -- describing what a device supports -------------------------------------------


def fmt_hz(v: float) -> str:
    """``436700000.0`` -> ``"436.7 MHz"``."""
    for div, unit in ((1e9, "GHz"), (1e6, "MHz"), (1e3, "kHz")):
        if abs(v) >= div:
            return f"{v / div:.6g} {unit}"
    return f"{v:.6g} Hz"


def _ranges(ranges: Sequence[Any]) -> list[tuple[float, float]]:
    return [(float(r.minimum()), float(r.maximum())) for r in ranges]


def format_ranges(ranges: Sequence[tuple[float, float]], fmt: Callable[[float], str]) -> str:
    """``"24 MHz to 1.766 GHz, 2 GHz"``; ``"none"`` when the device reports nothing."""
    if not ranges:
        return "none"
    parts = [fmt(lo) if lo == hi else f"{fmt(lo)} to {fmt(hi)}" for lo, hi in ranges]
    return ", ".join(parts)


def _in_ranges(value: float, ranges: Sequence[tuple[float, float]], tol: float = 1e-6) -> bool:
    return any(
        lo - tol * max(1.0, abs(lo)) <= value <= hi + tol * max(1.0, abs(hi)) for lo, hi in ranges
    )


def _db(v: float) -> str:
    return f"{v:g} dB"


@dataclass
class Settings:
    """What to apply to a device; None leaves the device's own setting."""

    frequency: float | None = None
    sample_rate: float | None = None
    bandwidth: float | None = None
    gain: Gain | None = None
    ppm: float | None = None
    antenna: str | None = None
    channel: int = 0


def _rate_choices(dev: Any, rx: int, ch: int) -> list[tuple[float, float]]:
    rates = _ranges(dev.getSampleRateRange(rx, ch))
    listed = [(float(r), float(r)) for r in dev.listSampleRates(rx, ch)]
    return rates or listed


def configure(dev: Any, settings: Settings, rx: int, label: str) -> None:
    """Check every setting against the device's ranges, then apply it (DeviceError if not)."""
    ch = settings.channel
    s = settings
    if s.sample_rate is not None:
        if not s.sample_rate > 0:
            raise ConfigError(f"sample rate must be positive, not {s.sample_rate:g}")
        choices = _rate_choices(dev, rx, ch)
        if not _in_ranges(s.sample_rate, choices):
            raise DeviceError(
                f"{label}: sample rate {fmt_hz(s.sample_rate).replace('Hz', 'Sps')} is not "
                f"supported; it supports {format_ranges(choices, fmt_hz).replace('Hz', 'Sps')}"
            )
        dev.setSampleRate(rx, ch, float(s.sample_rate))
    if s.frequency is not None:
        franges = _ranges(dev.getFrequencyRange(rx, ch))
        if not _in_ranges(s.frequency, franges):
            raise DeviceError(
                f"{label}: frequency {fmt_hz(s.frequency)} is out of range; it tunes "
                f"{format_ranges(franges, fmt_hz)}"
            )
        dev.setFrequency(rx, ch, float(s.frequency))
    if s.bandwidth is not None:
        branges = _ranges(dev.getBandwidthRange(rx, ch)) or [
            (float(b), float(b)) for b in dev.listBandwidths(rx, ch)
        ]
        if not _in_ranges(s.bandwidth, branges):
            raise DeviceError(
                f"{label}: bandwidth {fmt_hz(s.bandwidth)} is not supported; it supports "
                f"{format_ranges(branges, fmt_hz)}"
            )
        dev.setBandwidth(rx, ch, float(s.bandwidth))
    if s.gain is not None:
        _apply_gain(dev, s.gain, rx, ch, label)
    if s.ppm is not None:
        if not dev.hasFrequencyCorrection(rx, ch):
            raise DeviceError(f"{label}: the device has no frequency correction (--ppm)")
        dev.setFrequencyCorrection(rx, ch, float(s.ppm))
    if s.antenna is not None:
        antennas = list(dev.listAntennas(rx, ch))
        if s.antenna not in antennas:
            raise DeviceError(
                f"{label}: no antenna {s.antenna!r}; choose one of: "
                f"{', '.join(antennas) if antennas else 'none (the device has no antenna choice)'}"
            )
        dev.setAntenna(rx, ch, s.antenna)


def _apply_gain(dev: Any, gain: Gain, rx: int, ch: int, label: str) -> None:
    if gain.agc:
        if not dev.hasGainMode(rx, ch):
            raise DeviceError(f"{label}: the device has no automatic gain (agc); give a gain in dB")
        dev.setGainMode(rx, ch, True)
        return
    if dev.hasGainMode(rx, ch):
        dev.setGainMode(rx, ch, False)
    if gain.overall is not None:
        r = dev.getGainRange(rx, ch)
        lo, hi = float(r.minimum()), float(r.maximum())
        if not _in_ranges(gain.overall, [(lo, hi)]):
            raise DeviceError(
                f"{label}: gain {gain.overall:g} dB is out of range; "
                f"it supports {lo:g} to {hi:g} dB"
            )
        dev.setGain(rx, ch, float(gain.overall))
        return
    names = list(dev.listGains(rx, ch))
    for name, value in gain.elements.items():
        if name not in names:
            raise DeviceError(
                f"{label}: no gain element {name!r}; it has: {', '.join(names) or 'none'}"
            )
        r = dev.getGainRange(rx, ch, name)
        lo, hi = float(r.minimum()), float(r.maximum())
        if not _in_ranges(value, [(lo, hi)]):
            raise DeviceError(
                f"{label}: gain {name}={value:g} dB is out of range; "
                f"it supports {lo:g} to {hi:g} dB"
            )
        dev.setGain(rx, ch, name, float(value))


def enumerate_devices(args: str = "") -> list[dict[str, str]]:
    """What SoapySDR finds (each a dict with driver, label, serial ...)."""
    mod = soapy_module()
    try:
        found = mod.Device.enumerate(args) if args else mod.Device.enumerate()
    except Exception as exc:  # a broken driver module
        raise DeviceError(f"SoapySDR could not enumerate devices: {exc}") from None
    return [dict(k) for k in found]


def describe_device(args: str, channel: int = 0) -> list[str]:
    """Lines describing a device's receive ranges (for ``sdrlink devices --device``)."""
    mod = soapy_module()
    dev = open_device(mod, args)
    rx = _const(mod, "SOAPY_SDR_RX")
    try:
        lines = [f"device: {dev.getDriverKey()} ({dev.getHardwareKey()})"]
        info = dict(dev.getHardwareInfo())
        if info:
            lines.append("hardware: " + ", ".join(f"{k}={v}" for k, v in sorted(info.items())))
        nch = int(dev.getNumChannels(rx))
        lines.append(f"receive channels: {nch}")
        if nch == 0:
            lines.append("(the device has no receive channel)")
        for ch in range(nch):
            lines.append(f"channel {ch}:")
            lines.append(
                "  frequency:   " + format_ranges(_ranges(dev.getFrequencyRange(rx, ch)), fmt_hz)
            )
            rates = format_ranges(_rate_choices(dev, rx, ch), fmt_hz).replace("Hz", "Sps")
            lines.append("  sample rate: " + rates)
            r = dev.getGainRange(rx, ch)
            agc = ", agc" if dev.hasGainMode(rx, ch) else ""
            lines.append(f"  gain:        {float(r.minimum()):g} to {float(r.maximum()):g} dB{agc}")
            for name in dev.listGains(rx, ch):
                g = dev.getGainRange(rx, ch, name)
                lines.append(f"    {name}: {float(g.minimum()):g} to {float(g.maximum()):g} dB")
            ants = list(dev.listAntennas(rx, ch))
            lines.append("  antennas:    " + (", ".join(ants) if ants else "none"))
            bw = _ranges(dev.getBandwidthRange(rx, ch)) or [
                (float(b), float(b)) for b in dev.listBandwidths(rx, ch)
            ]
            lines.append("  bandwidth:   " + format_ranges(bw, fmt_hz))
            lines.append(
                "  ppm correction: " + ("yes" if dev.hasFrequencyCorrection(rx, ch) else "no")
            )
        return lines
    finally:
        _close_device(dev)


def open_device(mod: Any, args: str | dict[str, str]) -> Any:
    """``SoapySDR.Device(args)`` with a DeviceError naming the arguments on failure."""
    kwargs = parse_device_args(args) if isinstance(args, str) else dict(args)
    try:
        return mod.Device(kwargs)
    except Exception as exc:  # SoapySDR raises RuntimeError("no match") etc.
        text = ",".join(f"{k}={v}" for k, v in kwargs.items()) or "(any)"
        raise DeviceError(
            f"cannot open SoapySDR device {text}: {exc} (see 'sdrlink devices')"
        ) from None


def _close_device(dev: Any) -> None:
    close = getattr(dev, "close", None)
    if close is not None:
        try:
            close()
        except Exception:  # noqa: S110 - releasing a device that is already gone
            pass


class SoapySource(LiveSource):
    """Complex samples from a SoapySDR device, read on a background thread.

    ``device`` is a Soapy argument string (``"driver=rtlsdr,serial=..."``).
    ``make_device`` replaces ``SoapySDR.Device`` (tests use a scripted stand-in);
    it is called again to reopen a device that vanished. Settings are checked
    and applied in the constructor; streaming starts with ``blocks()``.
    """

    def __init__(
        self,
        device: str = "",
        *,
        frequency: float | None = None,
        sample_rate: float | None = None,
        bandwidth: float | None = None,
        gain: Gain | str | float | None = None,
        ppm: float | None = None,
        antenna: str | None = None,
        channel: int = 0,
        read_size: int | None = None,
        read_timeout: float = 0.1,
        make_device: Callable[[dict[str, str]], Any] | None = None,
        **live: Any,
    ) -> None:
        self.device_args = parse_device_args(device)
        self._mod = soapy_module() if make_device is None else _optional_module()
        self._make = make_device or (lambda kw: open_device(self._mod, kw))
        self.rx = _const(self._mod, "SOAPY_SDR_RX")
        self.settings = Settings(
            frequency=frequency,
            sample_rate=sample_rate,
            bandwidth=bandwidth,
            gain=gain if isinstance(gain, Gain) or gain is None else parse_gain(gain),
            ppm=ppm,
            antenna=antenna,
            channel=int(channel),
        )
        self.read_timeout_us = int(read_timeout * 1e6)
        self._lock = threading.Lock()
        self._dev: Any = None
        self._stream: Any = None
        self._dev = self._open_and_configure()
        dev = self._dev
        self.label = f"{dev.getDriverKey()}" if hasattr(dev, "getDriverKey") else "device"
        self.name = f"SoapySDR {self.label}"
        rate = float(dev.getSampleRate(self.rx, self.settings.channel))
        if not rate > 0:
            self._release()
            raise DeviceError(f"{self.name}: the device reports sample rate {rate:g}; give --rate")
        freq = float(dev.getFrequency(self.rx, self.settings.channel))
        self.read_size = int(read_size or max(1024, min(1 << 17, int(rate / 50))))
        args_text = ",".join(f"{k}={v}" for k, v in self.device_args.items())
        info = StreamInfo(
            sample_rate=rate,
            center_freq=freq if freq > 0 else frequency,
            description=f"live: SoapySDR {args_text}",
            extra={"hw": self.hardware_description()},
        )
        super().__init__(info, **live)
        self._buf = np.empty(self.read_size, dtype=np.complex64)

    def _open_and_configure(self) -> Any:
        dev = self._make(self.device_args)
        label = self.device_args.get("driver") or (
            dev.getDriverKey() if hasattr(dev, "getDriverKey") else "device"
        )
        try:
            configure(dev, self.settings, self.rx, f"SoapySDR {label}")
        except BaseException:
            _close_device(dev)
            raise
        return dev

    def hardware_description(self) -> str:
        """``"rtlsdr (R820T), serial=..."`` for the recording's core:hw."""
        dev = self._dev
        if dev is None:
            return "SoapySDR device"
        try:
            info = dict(dev.getHardwareInfo())
            extra = ", ".join(f"{k}={v}" for k, v in sorted(info.items()))
            text = f"SoapySDR {dev.getDriverKey()} ({dev.getHardwareKey()})"
            return f"{text}, {extra}" if extra else text
        except Exception:
            return "SoapySDR device"

    # -- LiveSource hooks ----------------------------------------------------------

    def _start(self) -> None:
        with self._lock:
            if self._dev is None:  # reopen after the device vanished
                self._dev = self._open_and_configure()
            dev = self._dev
            nch = int(dev.getNumChannels(self.rx))
            if self.settings.channel >= nch:
                raise DeviceError(
                    f"{self.name}: no receive channel {self.settings.channel} "
                    f"(the device has {nch})"
                )
            fmt = _const(self._mod, "SOAPY_SDR_CF32")
            try:
                stream = dev.setupStream(self.rx, fmt, [self.settings.channel])
            except Exception as exc:
                raise DeviceError(f"{self.name}: cannot set up the stream: {exc}") from None
            self._stream = stream
            ret = dev.activateStream(stream)
            if ret is not None and ret != 0:
                raise DeviceError(f"{self.name}: cannot start the stream ({_code_name(ret)})")

    def _read(self) -> ReadResult:
        dev, stream = self._dev, self._stream
        buf = self._buf
        sr = dev.readStream(stream, [buf], len(buf), timeoutUs=self.read_timeout_us)
        ret = int(sr.ret)
        if ret > 0:
            has_time = bool(int(sr.flags) & _const(self._mod, "SOAPY_SDR_HAS_TIME"))
            samples = buf[:ret].copy()
            return ReadResult(samples, time_ns=int(sr.timeNs) if has_time else None)
        if ret == 0 or ret == _const(self._mod, "SOAPY_SDR_TIMEOUT"):
            return ReadResult(None)
        if ret == _const(self._mod, "SOAPY_SDR_OVERFLOW"):
            return ReadResult(np.empty(0, np.complex64), lost=None, overflow=True)
        raise DeviceError(f"{self.name}: read failed ({_code_name(ret)})")

    def _halt(self, failed: bool) -> None:
        with self._lock:
            dev, stream = self._dev, self._stream
            self._stream = None
            if dev is not None and stream is not None:
                for call in (dev.deactivateStream, dev.closeStream):
                    try:
                        call(stream)
                    except Exception:  # noqa: S110 - the device may be gone
                        pass
            if failed and dev is not None:
                self._dev = None
                _close_device(dev)

    def _release(self) -> None:
        with self._lock:
            dev, self._dev = self._dev, None
        if dev is not None:
            _close_device(dev)


def _optional_module() -> Any:
    try:
        return soapy_module()
    except DeviceError:
        return None


def _code_name(ret: int) -> str:
    return f"SOAPY_SDR_{_ERROR_NAMES[ret]}" if ret in _ERROR_NAMES else f"error {ret}"
