"""A client for Hamlib's ``rotctld``, so that any rotator Hamlib drives can follow a pass.

The rotctld network protocol is line based: ``P AZ EL`` sets the position
(reply ``RPRT 0``, or ``RPRT -N`` for an error), ``p`` reads it (two lines,
azimuth then elevation), ``S`` stops the motion. The client reconnects after
a dropped connection; a rotator that fails never stops the station, it is
reported (once per outage) and tried again at the next update.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable

from sdrlink.errors import DeviceError


class RotctldClient:
    """Talk to ``rotctld`` at ``host:port``. Thread-safe; every call is one round trip."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 4533,
        *,
        timeout: float = 3.0,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        self.host, self.port = host, int(port)
        self.timeout = timeout
        self.notify = notify
        self._sock: socket.socket | None = None
        self._buf = b""
        self._lock = threading.Lock()
        self._failing = False
        #: every position set: (monotonic time, azimuth, elevation)
        self.sent: list[tuple[float, float, float]] = []

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"

    # -- wire -------------------------------------------------------------------------

    def _connect(self) -> socket.socket:
        if self._sock is None:
            try:
                self._sock = socket.create_connection((self.host, self.port), self.timeout)
            except OSError as exc:
                reason = exc.strerror or str(exc)
                raise DeviceError(f"rotctld at {self.address}: cannot connect ({reason})") from None
            self._sock.settimeout(self.timeout)
            self._buf = b""
        return self._sock

    def _drop(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            try:
                sock.close()
            except OSError:
                pass

    def _line(self, sock: socket.socket) -> str:
        while b"\n" not in self._buf:
            chunk = sock.recv(4096)
            if not chunk:
                raise OSError("connection closed")
            self._buf += chunk
        line, _, self._buf = self._buf.partition(b"\n")
        return line.decode("ascii", errors="replace").strip()

    def _command(self, text: str, lines: int) -> list[str]:
        """Send one command and read its reply (``lines`` lines, or an RPRT line)."""
        with self._lock:
            for attempt in (1, 2):  # one reconnect for a connection that went stale
                sock = self._connect()
                try:
                    sock.sendall(text.encode("ascii") + b"\n")
                    out = [self._line(sock)]
                    if not out[0].startswith("RPRT"):
                        while len(out) < lines:
                            out.append(self._line(sock))
                    return out
                except OSError as exc:
                    self._drop()
                    if attempt == 2:
                        raise DeviceError(f"rotctld at {self.address}: {exc}") from None
        raise AssertionError("unreachable")

    @staticmethod
    def _check(reply: list[str], what: str) -> None:
        if reply and reply[0].startswith("RPRT") and reply[0] != "RPRT 0":
            raise DeviceError(f"rotctld refused {what}: {reply[0]}")

    # -- commands ---------------------------------------------------------------------

    def set_position(self, az: float, el: float) -> None:
        """Point at azimuth ``az`` (0..360) and elevation ``el`` (clipped to 0..90)."""
        az = float(az) % 360.0
        el = min(max(float(el), 0.0), 90.0)
        reply = self._command(f"P {az:.2f} {el:.2f}", 1)
        self._check(reply, f"P {az:.2f} {el:.2f}")
        self.sent.append((time.monotonic(), az, el))

    def get_position(self) -> tuple[float, float]:
        """The rotator's azimuth and elevation now."""
        reply = self._command("p", 2)
        self._check(reply, "p")
        try:
            return float(reply[0]), float(reply[1])
        except (IndexError, ValueError):
            raise DeviceError(f"rotctld at {self.address}: bad position reply {reply!r}") from None

    def stop(self) -> None:
        self._check(self._command("S", 1), "S")

    def close(self) -> None:
        with self._lock:
            self._drop()

    # -- station use: never raise ---------------------------------------------------------

    def try_point(self, az: float, el: float) -> bool:
        """``set_position`` that reports a failure once per outage instead of raising."""
        try:
            self.set_position(az, el)
        except DeviceError as exc:
            if not self._failing and self.notify is not None:
                self.notify(f"rotator: {exc}")
            self._failing = True
            return False
        if self._failing and self.notify is not None:
            self.notify("rotator: answering again")
        self._failing = False
        return True
