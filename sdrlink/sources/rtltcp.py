"""Live samples from an ``rtl_tcp`` server (an RTL-SDR shared over TCP).

Protocol (osmocom rtl-sdr ``rtl_tcp``): on connecting, the server sends a
12-byte header: the magic ``b"RTL0"``, the tuner type and the number of tuner
gain steps (big-endian uint32 each), then streams unsigned 8-bit I/Q pairs
(cu8, centred on 127.5). The client sends 5-byte commands, a command byte and a
big-endian uint32: 0x01 frequency (Hz), 0x02 sample rate (Hz), 0x03 gain mode
(0 automatic, 1 manual), 0x04 gain (tenths of a dB), 0x05 frequency correction
(ppm, signed), 0x08 RTL2832 digital AGC (0/1).

The stream carries no timestamps or drop counters; after a dropped connection
the source reconnects (with back-off), sends the settings again, and estimates
the samples missed from the host clock.
"""

from __future__ import annotations

import socket
import struct
import time
from typing import Any

import numpy as np

from sdrlink.blocks import StreamInfo
from sdrlink.errors import ConfigError, DeviceError
from sdrlink.sources.live import LiveSource, ReadResult
from sdrlink.sources.soapy import Gain, fmt_hz, format_ranges, parse_gain

CMD_FREQUENCY = 0x01
CMD_SAMPLE_RATE = 0x02
CMD_GAIN_MODE = 0x03
CMD_GAIN = 0x04
CMD_PPM = 0x05
CMD_AGC_MODE = 0x08

HEADER = struct.Struct(">4sII")
COMMAND = struct.Struct(">BI")

TUNERS = {0: "unknown", 1: "E4000", 2: "FC0012", 3: "FC0013", 4: "FC2580", 5: "R820T", 6: "R828D"}
# what the tuners can do (librtlsdr): frequency range (Hz) and gain range (dB)
_TUNER_FREQ = {1: (52e6, 2.2e9), 5: (24e6, 1.766e9), 6: (24e6, 1.766e9)}
_TUNER_GAIN = {1: (-1.0, 42.0), 2: (-9.9, 20.0), 3: (-9.9, 19.7), 5: (0.0, 49.6), 6: (0.0, 49.6)}
#: Sample rates the RTL2832 accepts (Hz).
RTL_RATES = ((225_001.0, 300_000.0), (900_001.0, 3_200_000.0))

# cu8 pair (as a little-endian uint16: I in the low byte) -> complex64 sample
_CODES = np.arange(65536, dtype=np.uint32)
_LUT = (
    ((_CODES & 0xFF).astype(np.float32) - np.float32(127.5)) / np.float32(127.5)
    + 1j * (((_CODES >> 8).astype(np.float32) - np.float32(127.5)) / np.float32(127.5))
).astype(np.complex64)
del _CODES


def cu8_to_complex(data: bytes | bytearray | memoryview) -> np.ndarray:
    """Interleaved cu8 I/Q bytes (even length) -> complex64 ``(x - 127.5) / 127.5``."""
    return _LUT[np.frombuffer(data, dtype="<u2")]


def parse_host_port(text: str, default_port: int = 1234) -> tuple[str, int]:
    """``"127.0.0.1:1234"`` -> ``("127.0.0.1", 1234)``; ``"[::1]:1234"`` for IPv6."""
    t = text.strip()
    host, port = t, default_port
    if t.startswith("["):
        host, _, rest = t[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif t.count(":") == 1:
        host, p = t.split(":")
        port = _port(p, text)
    if not host:
        raise ConfigError(f"rtl_tcp address {text!r} needs a host (e.g. rtl_tcp=127.0.0.1:1234)")
    return host, port


def _port(p: str, text: str) -> int:
    try:
        port = int(p)
    except ValueError:
        port = -1
    if not 0 < port < 65536:
        raise ConfigError(f"bad port in rtl_tcp address {text!r}")
    return port


def _check(value: float, ranges: tuple[tuple[float, float], ...], what: str, unit: str) -> None:
    if any(lo <= value <= hi for lo, hi in ranges):
        return
    if unit == "dB":
        text = ", ".join(f"{lo:g} to {hi:g} dB" for lo, hi in ranges)
        shown = f"{value:g} dB"
    else:

        def fmt(v: float) -> str:
            return fmt_hz(v).replace("Hz", unit)

        text, shown = format_ranges(ranges, fmt), fmt(value)
    raise DeviceError(f"{what} {shown} is out of range; it supports {text}")


class RtlTcpSource(LiveSource):
    """Complex samples from ``rtl_tcp`` at ``host:port`` (see the module docstring)."""

    def __init__(
        self,
        host: str,
        port: int = 1234,
        *,
        frequency: float | None = None,
        sample_rate: float = 2_048_000.0,
        gain: Gain | str | float | None = None,
        ppm: float | None = None,
        rtl_agc: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 0.25,
        **live: Any,
    ) -> None:
        self.host, self.port = host, int(port)
        self.address = f"{host}:{self.port}"
        self.name = f"rtl_tcp {self.address}"
        if not sample_rate or sample_rate <= 0:
            raise ConfigError("rtl_tcp needs a positive sample rate (--rate)")
        self.gain = gain if isinstance(gain, Gain) or gain is None else parse_gain(gain)
        if self.gain is not None and self.gain.elements:
            raise ConfigError("rtl_tcp takes one overall gain (--gain 40) or --gain agc")
        self.frequency = frequency
        self.sample_rate = float(sample_rate)
        self.ppm = ppm
        self.rtl_agc = rtl_agc
        self.connect_timeout = connect_timeout
        self.read_timeout = read_timeout
        self._sock: socket.socket | None = None
        self.tuner = 0
        self.gain_steps = 0
        self.commands_sent: list[tuple[int, int]] = []
        self._connect()
        self._check_settings()
        super().__init__(
            StreamInfo(
                sample_rate=self.sample_rate,
                center_freq=frequency,
                description=f"live: rtl_tcp {self.address}",
                extra={"hw": self.hardware_description()},
            ),
            **live,
        )
        self._raw = bytearray(2 * max(4096, min(1 << 17, int(self.sample_rate / 50))))
        self._odd: bytes = b""

    def hardware_description(self) -> str:
        return f"RTL-SDR via rtl_tcp {self.address} (tuner {TUNERS.get(self.tuner, self.tuner)})"

    def _check_settings(self) -> None:
        where = f"{self.name} ({TUNERS.get(self.tuner, 'tuner ' + str(self.tuner))})"
        try:
            _check(self.sample_rate, RTL_RATES, "sample rate", "Sps")
            if self.frequency is not None and self.tuner in _TUNER_FREQ:
                _check(self.frequency, (_TUNER_FREQ[self.tuner],), "frequency", "Hz")
            g = self.gain
            if g is not None and g.overall is not None and self.tuner in _TUNER_GAIN:
                _check(g.overall, (_TUNER_GAIN[self.tuner],), "gain", "dB")
        except DeviceError as exc:
            self._disconnect()
            raise DeviceError(f"{where}: {exc}") from None

    # -- connection ------------------------------------------------------------------

    def _connect(self) -> None:
        timeout = self.connect_timeout
        deadline = getattr(self, "retry_deadline", None)
        if deadline is not None:  # reconnecting: do not block past the give-up time
            timeout = min(timeout, max(deadline - time.monotonic(), 0.05))
        try:
            sock = socket.create_connection((self.host, self.port), timeout=timeout)
        except OSError as exc:
            reason = exc.strerror or str(exc) or type(exc).__name__
            raise DeviceError(f"cannot connect to rtl_tcp at {self.address}: {reason}") from None
        try:
            header = _recv_exact(sock, HEADER.size)
        except (OSError, DeviceError) as exc:
            sock.close()
            raise DeviceError(f"rtl_tcp at {self.address}: no dongle header ({exc})") from None
        magic, tuner, steps = HEADER.unpack(header)
        if magic != b"RTL0":
            sock.close()
            raise DeviceError(f"{self.address} is not an rtl_tcp server (header {header[:4]!r})")
        self.tuner, self.gain_steps = int(tuner), int(steps)
        sock.settimeout(self.read_timeout)
        self._sock = sock

    def _disconnect(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _send(self, cmd: int, value: int) -> None:
        assert self._sock is not None
        self._sock.sendall(COMMAND.pack(cmd, value & 0xFFFFFFFF))
        self.commands_sent.append((cmd, value))

    def _send_settings(self) -> None:
        self._send(CMD_SAMPLE_RATE, round(self.sample_rate))
        if self.frequency is not None:
            self._send(CMD_FREQUENCY, round(self.frequency))
        if self.ppm is not None:
            self._send(CMD_PPM, round(self.ppm))
        g = self.gain
        if g is not None:
            if g.agc:
                self._send(CMD_GAIN_MODE, 0)
            elif g.overall is not None:
                self._send(CMD_GAIN_MODE, 1)
                self._send(CMD_GAIN, round(g.overall * 10))
        self._send(CMD_AGC_MODE, 1 if self.rtl_agc else 0)

    # -- LiveSource hooks ----------------------------------------------------------------

    def _start(self) -> None:
        if self._sock is None:
            self._connect()
        self._odd = b""
        try:
            self._send_settings()
        except OSError as exc:
            raise DeviceError(f"{self.name}: cannot send settings ({exc})") from None

    def _read(self) -> ReadResult:
        sock = self._sock
        if sock is None:
            raise DeviceError(f"{self.name}: not connected")
        view = memoryview(self._raw)
        got = 0
        closed = False
        while got < len(view):
            try:
                n = sock.recv_into(view[got:])
            except TimeoutError:
                break
            if n == 0:
                closed = True
                break
            got += n
        data = self._odd + bytes(view[:got]) if self._odd else view[:got]
        usable = len(data) & ~1
        self._odd = bytes(data[usable:])
        if usable:
            return ReadResult(cu8_to_complex(data[:usable]))
        if closed:
            raise DeviceError("the server closed the connection")
        return ReadResult(None)

    def _halt(self, failed: bool) -> None:
        if failed:
            self._disconnect()

    def _release(self) -> None:
        self._disconnect()


def _recv_exact(sock: socket.socket, n: int) -> bytes:
    parts = b""
    while len(parts) < n:
        chunk = sock.recv(n - len(parts))
        if not chunk:
            raise DeviceError("connection closed")
        parts += chunk
    return parts
