"""A small rtl_tcp server for tests and benchmarks: serves cu8 samples on loopback.

It speaks the server side of the rtl_tcp protocol: sends the 12-byte dongle
header (``RTL0``, tuner type, gain count), records the 5-byte commands the
client sends, and streams the given cu8 bytes paced at ``sample_rate * pace``
samples per second (``pace=0``: as fast as the client reads). Like the real
rtl_tcp it never waits for a slow client for long: when it falls more than
``max_lag`` seconds behind its schedule it skips data and counts it in
``dropped``.

Everything is bounded: it serves at most ``max_clients`` connections, stops
after the data (or ``seconds`` of looped data) has been sent, and never runs
longer than ``time_limit`` seconds. Only loopback addresses are allowed.

Run as a script (for the benchmark) it prints ``PORT <n>`` when listening and a
JSON summary line when done::

    python tests/rtltcp_server.py FILE.cu8 --rate 2.4e6 --seconds 60
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import socket
import struct
import sys
import threading
import time

HEADER = struct.Struct(">4sII")
COMMAND = struct.Struct(">BI")
COMMANDS_QUIET = 0.1  # s without a new command after which the settings count as sent


class RtlTcpServer:
    """Serve ``data`` (cu8 bytes) to rtl_tcp clients on ``host`` (loopback only).

    ``seconds``: loop the data until this many seconds of samples were sent
    (None: send it once). ``drop_after``: close the first connection after this
    many bytes (to test reconnection); later connections get the rest.
    ``wait_for_commands``: before streaming, wait up to this many seconds for the
    client's settings (its first command and a pause after the last).
    """

    def __init__(
        self,
        data: bytes,
        sample_rate: float,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        pace: float = 1.0,
        seconds: float | None = None,
        tuner: int = 5,
        gain_steps: int = 29,
        chunk_s: float = 0.01,
        max_lag: float = 0.5,
        max_clients: int = 1,
        drop_after: int | None = None,
        time_limit: float = 120.0,
        wait_for_commands: float = 0.0,
    ) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError("the test server listens on loopback addresses only")
        if len(data) % 2:
            raise ValueError("cu8 data must hold whole I/Q pairs")
        self.data = bytes(data)
        self.sample_rate = float(sample_rate)
        self.pace = pace
        self.total = len(self.data) if seconds is None else 2 * round(seconds * sample_rate)
        self.tuner, self.gain_steps = tuner, gain_steps
        self.chunk = max(2, 2 * round(chunk_s * sample_rate * max(pace, 1.0)))
        self.max_lag = max_lag
        self.max_clients = max_clients
        self.drop_after = drop_after
        self.time_limit = time_limit
        self.wait_for_commands = wait_for_commands
        self.commands: list[tuple[int, int]] = []
        self.sent = 0  # bytes sent
        self.dropped = 0  # bytes skipped because the client was too slow
        self.clients = 0
        self.error: str | None = None
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind((host, port))
        self._sock.listen(1)
        self._sock.settimeout(0.2)
        self.port = self._sock.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="rtltcp-server", daemon=True)
        self._deadline = time.monotonic() + time_limit

    # -- lifecycle ------------------------------------------------------------------

    def start(self) -> RtlTcpServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5.0)
        self._sock.close()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until the server has finished; True when it did."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def __enter__(self) -> RtlTcpServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- serving --------------------------------------------------------------------

    def _serve(self) -> None:
        try:
            while (
                self.clients < self.max_clients
                and self.sent + self.dropped < self.total
                and not self._stop.is_set()
                and time.monotonic() < self._deadline
            ):
                try:
                    conn, _ = self._sock.accept()
                except TimeoutError:
                    continue
                self.clients += 1
                with conn:
                    self._client(conn)
        except Exception as exc:  # reported to the test, never raised in the thread
            self.error = repr(exc)

    def _client(self, conn: socket.socket) -> None:
        conn.settimeout(0.2)  # before the command reader starts: its recv must time out
        conn.sendall(HEADER.pack(b"RTL0", self.tuner, self.gain_steps))
        reader = threading.Thread(target=self._read_commands, args=(conn,), daemon=True)
        reader.start()
        try:
            self._stream(conn)
        finally:
            try:  # wakes the command reader and sends FIN even while it is in recv()
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            reader.join(timeout=2.0)

    def _stream(self, conn: socket.socket) -> None:
        if self.wait_for_commands:
            # until the client's settings are in: the first command, then a pause of
            # COMMANDS_QUIET without more (streaming at once and closing after a short
            # recording broke the pipe under a client still sending its settings)
            end = time.monotonic() + self.wait_for_commands
            seen, since = 0, time.monotonic()
            while time.monotonic() < end:
                n = len(self.commands)
                if n != seen:
                    seen, since = n, time.monotonic()
                elif n and time.monotonic() - since >= COMMANDS_QUIET:
                    break
                time.sleep(0.005)
        limit = self.total
        if self.drop_after is not None and self.clients == 1:
            limit = min(limit, self.sent + self.drop_after)
        t0 = time.monotonic()
        start_bytes = self.sent + self.dropped
        bytes_per_s = 2 * self.sample_rate * self.pace
        while self.sent + self.dropped < limit:
            if self._stop.is_set() or time.monotonic() > self._deadline:
                return
            pos = self.sent + self.dropped
            if self.pace > 0:
                due = t0 + (pos - start_bytes) / bytes_per_s
                now = time.monotonic()
                if now < due:
                    time.sleep(due - now)
                elif now - due > self.max_lag:  # client too slow: skip, like rtl_tcp does
                    skip = min(int((now - due) * bytes_per_s) & ~1, limit - pos)
                    self.dropped += skip
                    continue
            n = min(self.chunk, limit - pos)
            try:
                self._send_all(conn, self._slice(pos, n))
            except OSError:
                return  # client went away
            self.sent += n

    def _send_all(self, conn: socket.socket, buf: bytes) -> None:
        view = memoryview(buf)
        while view:
            if self._stop.is_set() or time.monotonic() > self._deadline:
                raise OSError("server stopping")
            try:
                k = conn.send(view)
            except TimeoutError:
                continue
            view = view[k:]

    def _slice(self, pos: int, n: int) -> bytes:
        size = len(self.data)
        start = pos % size
        if start + n <= size:
            return self.data[start : start + n]
        out = bytearray()
        while len(out) < n:
            take = min(n - len(out), size - start)
            out += self.data[start : start + take]
            start = 0
        return bytes(out)

    def _read_commands(self, conn: socket.socket) -> None:
        buf = b""
        conn_deadline = self._deadline
        while not self._stop.is_set() and time.monotonic() < conn_deadline:
            try:
                chunk = conn.recv(64)
            except TimeoutError:
                continue
            except OSError:
                return
            if not chunk:
                return
            buf += chunk
            while len(buf) >= COMMAND.size:
                self.commands.append(COMMAND.unpack(buf[: COMMAND.size]))
                buf = buf[COMMAND.size :]


def lora_recording(
    payloads: list[bytes],
    sample_rate: float = 250e3,
    *,
    sf: int = 7,
    bw: float = 125e3,
    gap_s: float = 0.05,
    snr_db: float = 10.0,
    cfo_hz: float = 1500.0,
    seed: int = 7,
):
    """A simulated LoRa recording: frames separated by ``gap_s`` of noise.

    Built with the project's LoRa modulator and :func:`sdrlink.channel.channel`.
    Returns ``(samples complex64 scaled to about +-0.5, frame start indices)``.
    """
    import numpy as np

    from sdrlink.channel import channel
    from sdrlink.protocols import get_protocol

    proto = get_protocol("lora")
    params = proto.make_params({"sf": sf, "bw": bw})
    gap = np.zeros(round(gap_s * sample_rate), dtype=np.complex64)
    parts, starts, pos = [gap], [], len(gap)
    for payload in payloads:
        wave = proto.modulate(params, payload, sample_rate)
        starts.append(pos)
        parts += [wave, gap]
        pos += len(wave) + len(gap)
    clean = np.concatenate(parts)
    rng = np.random.default_rng(seed)
    noisy = channel(clean, sample_rate, snr_db=snr_db, signal_bw=bw, cfo_hz=cfo_hz, rng=rng)
    return (noisy * np.float32(0.3)).astype(np.complex64), starts


def to_cu8(samples) -> bytes:
    """complex samples in [-1, 1] -> interleaved cu8 bytes (rtl_tcp's format)."""
    import numpy as np

    comp = np.asarray(samples, dtype=np.complex64).view(np.float32)
    return np.clip(np.rint(comp * 127.5 + 127.5), 0, 255).astype(np.uint8).tobytes()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description="serve a cu8 file like rtl_tcp (loopback only)")
    p.add_argument("file", help="cu8 samples")
    p.add_argument("--rate", type=float, required=True, help="sample rate (Sps)")
    p.add_argument("--seconds", type=float, help="loop the file for this long")
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--pace", type=float, default=1.0, help="multiple of real time (0: unpaced)")
    p.add_argument("--time-limit", type=float, default=600.0)
    args = p.parse_args(argv)
    with open(args.file, "rb") as f:
        data = f.read()
    server = RtlTcpServer(
        data,
        args.rate,
        host=args.host,
        port=args.port,
        pace=args.pace,
        seconds=args.seconds,
        time_limit=args.time_limit,
    )
    print(f"PORT {server.port}", flush=True)
    server.start()
    server.wait()
    server.stop()
    summary = {
        "sent_samples": server.sent // 2,
        "dropped_samples": server.dropped // 2,
        "clients": server.clients,
        "commands": server.commands,
        "error": server.error,
    }
    print(json.dumps(summary), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
