"""Machinery shared by live radio sources: a reader thread and a bounded buffer.

A radio delivers samples at its own pace whether or not the decoder keeps up.
So a reader thread pulls from the device into a bounded FIFO and never waits
for the decoder: when the FIFO is full the newest data is dropped and counted.
Every loss (device overflow, dropped buffers, a reconnect) is carried to the
next block as ``SampleBlock.lost`` and its ``start`` skips the lost samples, so
sample indices and frame times stay true across gaps.

A device that fails (stream errors, exceptions, a closed socket) is restarted
with exponential back-off; after ``give_up_after`` seconds without success the
stream ends with a :class:`~sdrlink.errors.DeviceError`.

Subclasses implement four hooks, all called on the reader thread:
``_start`` (open and start streaming), ``_read`` (one read), ``_halt`` (stop
streaming, optionally dropping the device) and ``_release`` (free everything).
"""

from __future__ import annotations

import collections
import datetime as _dt
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.errors import DeviceError
from sdrlink.sources.base import DEFAULT_BLOCK, Source

#: Longest wait between two restart attempts of a failed device (seconds).
MAX_BACKOFF = 5.0


@dataclass
class ReadResult:
    """What one device read returned.

    ``samples`` is None for a read that timed out. ``lost`` is the number of
    samples the device says it dropped just before these (0: none, None: some,
    count unknown). ``time_ns`` is the device's time of the first sample, when
    it provides one, in nanoseconds on its own clock.
    """

    samples: np.ndarray | None
    lost: int | None = 0
    time_ns: int | None = None
    overflow: bool = False


@dataclass
class LiveStats:
    """Counters the reader thread keeps (read them from any thread)."""

    reads: int = 0
    timeouts: int = 0
    overflows: int = 0
    device_lost: int = 0  # samples the device dropped (counted or estimated)
    buffer_dropped: int = 0  # samples dropped because the decoder fell behind
    estimated: int = 0  # how many losses were estimated from the host clock
    outages: int = 0  # times the device failed
    restarts: int = 0  # successful restarts after a failure
    received: int = 0  # samples read from the device

    @property
    def lost(self) -> int:
        return self.device_lost + self.buffer_dropped


class _End:
    """Marker queued by the reader thread when the stream ends."""


_END = _End()


@dataclass
class _Chunk:
    samples: np.ndarray
    lost: int


class ChunkBuffer:
    """Bounded FIFO of sample chunks between one producer and one consumer.

    ``put`` never blocks: a chunk that does not fit is dropped, and its length
    is added to the ``lost`` count of the next chunk that fits. ``capacity`` is
    in samples.
    """

    def __init__(self, capacity: int) -> None:
        self.capacity = max(int(capacity), 1)
        self._items: collections.deque[_Chunk | _End | BaseException] = collections.deque()
        self._held = 0
        self._pending_lost = 0
        self._cond = threading.Condition()

    @property
    def fill(self) -> float:
        """Fraction of the capacity in use."""
        return self._held / self.capacity

    def put(self, samples: np.ndarray, lost: int = 0) -> int:
        """Queue ``samples`` (preceded by ``lost`` missing ones); return how many were dropped."""
        n = len(samples)
        with self._cond:
            if self._held + n > self.capacity and self._held > 0:
                self._pending_lost += lost + n
                return n
            self._items.append(_Chunk(samples, lost + self._pending_lost))
            self._pending_lost = 0
            self._held += n
            self._cond.notify()
            return 0

    def end(self, error: BaseException | None = None) -> None:
        """Mark the end of the stream (after an error, the consumer raises it)."""
        with self._cond:
            self._items.append(error if error is not None else _END)
            self._cond.notify()

    def get(self, timeout: float) -> _Chunk | _End | BaseException | None:
        """The next item, or None when nothing arrived within ``timeout`` seconds."""
        with self._cond:
            if not self._items:
                self._cond.wait(timeout)
                if not self._items:
                    return None
            item = self._items.popleft()
            if isinstance(item, _Chunk):
                self._held -= len(item.samples)
            return item

    def get_ready_chunk(self) -> _Chunk | None:
        """The next item if it is a chunk that is already queued, else None."""
        with self._cond:
            if self._items and isinstance(self._items[0], _Chunk):
                item = self._items.popleft()
                assert isinstance(item, _Chunk)
                self._held -= len(item.samples)
                return item
            return None

    def peek_lost(self) -> int | None:
        """``lost`` of the next queued chunk (None when the next item is not a chunk)."""
        with self._cond:
            if self._items and isinstance(self._items[0], _Chunk):
                return self._items[0].lost
            return None


class LiveSource(Source):
    """A radio stream read by a background thread (see the module docstring).

    ``buffer_seconds`` sizes the FIFO; ``give_up_after`` is how long a failed
    device is retried; ``duration`` (seconds of stream, gaps included) ends the
    stream after exactly ``round(duration * sample_rate)`` samples.
    ``notify(message)`` receives one-line reports (device lost, restarted);
    they are also kept in ``events``. A stream that worked and then delivers
    nothing for ``stall_after`` seconds counts as a failed device.
    ``now()`` gives the UTC time the first sample is stamped with (default: the
    system clock; the station passes its own clock).
    """

    name: str = "device"

    def __init__(
        self,
        info: StreamInfo,
        *,
        buffer_seconds: float = 2.0,
        give_up_after: float = 30.0,
        duration: float | None = None,
        notify: Callable[[str], None] | None = None,
        stall_after: float = 5.0,
        now: Callable[[], _dt.datetime] | None = None,
    ) -> None:
        self.info = info
        self.now = now or (lambda: _dt.datetime.now(_dt.timezone.utc))
        self.stall_after = float(stall_after)
        self.stats = LiveStats()
        self.give_up_after = float(give_up_after)
        self.max_samples = None if duration is None else max(0, round(duration * info.sample_rate))
        self.notify = notify
        self.events: list[str] = []
        self._buffer = ChunkBuffer(int(max(buffer_seconds, 0.01) * info.sample_rate))
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_time_ns: int | None = None  # device time expected for the next sample
        self._last_wall: float | None = None  # host time of the last good read
        self._carry_lost = 0  # counted losses reported by reads without data
        self._carry_unknown = False  # a loss of unknown size is pending
        self._ever_streamed = False  # failures before the first samples are fatal
        self._first = threading.Event()  # set on the first samples or when the reader ends
        self._error: BaseException | None = None
        self._started = False
        #: while a failed device is retried: the monotonic time when we give up
        #: (subclasses bound their blocking calls by it)
        self.retry_deadline: float | None = None

    # -- hooks for subclasses (reader thread) ---------------------------------

    def _start(self) -> None:
        """Open (or reopen) the device and start streaming; raise DeviceError on failure."""
        raise NotImplementedError

    def _read(self) -> ReadResult:
        """One read; raise DeviceError/OSError when the device fails."""
        raise NotImplementedError

    def _halt(self, failed: bool) -> None:
        """Stop streaming (``failed``: the device misbehaved; drop it so ``_start`` reopens)."""

    def _release(self) -> None:
        """Free the device (called once, from ``close``)."""

    # -- public ----------------------------------------------------------------

    @property
    def buffer_fill(self) -> float:
        """Fraction of the FIFO in use (near 1.0: the decoder is falling behind)."""
        return self._buffer.fill

    def report(self, message: str) -> None:
        self.events.append(message)
        if self.notify is not None:
            self.notify(message)

    def start(self) -> None:
        """Start the reader thread (``blocks`` does this on first use)."""
        if self._started:
            return
        self._started = True
        self._thread = threading.Thread(
            target=self._reader, name=f"sdrlink-{self.name}", daemon=True
        )
        self._thread.start()

    def wait_started(self, timeout: float) -> None:
        """Start streaming and wait for the first samples (``info.start_time`` is then set).

        Raises the reader's error, or DeviceError when nothing arrives in ``timeout`` s.
        """
        self.start()
        end = time.monotonic() + timeout
        while not self._first.wait(0.25):
            if time.monotonic() > end:
                raise DeviceError(f"{self.name}: no samples within {timeout:g} s")
        if self.info.start_time is None:
            if self._error is not None:
                raise self._error
            raise DeviceError(f"{self.name}: the stream ended before any samples arrived")

    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        """Blocks of at most ``block_size`` samples as they arrive; ends on ``stop``."""
        block_size = int(block_size)
        if block_size <= 0:
            raise ValueError("block_size must be positive")
        self.start()
        index = 0  # absolute index of the next sample (gaps included)
        limit = self.max_samples
        while limit is None or index < limit:
            item = self._buffer.get(timeout=0.25)
            if item is None:
                continue
            if isinstance(item, _End):
                return
            if isinstance(item, BaseException):
                raise item
            parts, lost = [item.samples], item.lost
            have = len(item.samples)
            while have < block_size and self._buffer.peek_lost() == 0:
                more = self._buffer.get_ready_chunk()
                if more is None:
                    break
                parts.append(more.samples)
                have += len(more.samples)
            x = parts[0] if len(parts) == 1 else np.concatenate(parts)
            start = index + lost
            if limit is not None:
                if start >= limit:
                    break
                x = x[: limit - start]
            for k in range(0, len(x), block_size):
                piece = x[k : k + block_size]
                yield SampleBlock(piece, start + k, lost if k == 0 else 0)
            index = start + len(x)
        self.stop()

    def stop(self) -> None:
        """End the stream: the reader thread stops and ``blocks`` finishes."""
        self._stop.set()

    def close(self) -> None:
        """Stop the reader thread and release the device."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout=10.0)
        self._release()

    # -- reader thread ---------------------------------------------------------

    def _reader(self) -> None:
        error: BaseException | None = None
        try:
            self._read_loop()
        except BaseException as exc:  # handed to the consumer, which raises it
            error = exc
            self._error = exc
        finally:
            try:
                self._halt(failed=error is not None)
            except Exception:  # noqa: S110 - the stream is over either way
                pass
            self._buffer.end(error)
            self._first.set()

    def _read_loop(self) -> None:
        streaming = False
        backoff = 0.1
        outage_since: float | None = None
        while not self._stop.is_set():
            try:
                if not streaming:
                    self._start()
                    streaming = True
                    if outage_since is not None:
                        self.stats.restarts += 1
                        self.report(f"{self.name}: streaming again")
                result = self._read()
                if result.samples is None and self._stalled():
                    raise DeviceError(f"no samples for {self.stall_after:g} s")
            except (DeviceError, OSError, RuntimeError) as exc:
                if not self._ever_streamed:  # never worked: a setup problem, not an outage
                    raise DeviceError(str(exc)) from None
                now = time.monotonic()
                if outage_since is None:
                    outage_since = now
                    self.stats.outages += 1
                    self.retry_deadline = now + self.give_up_after
                streaming = False
                try:
                    self._halt(failed=True)
                except Exception:  # noqa: S110 - it is already broken
                    pass
                if now - outage_since >= self.give_up_after:
                    raise DeviceError(
                        f"{self.name}: gave up after {self.give_up_after:g} s of failures "
                        f"(last: {exc})"
                    ) from None
                self.report(f"{self.name}: {exc}; retrying in {backoff:.1f} s")
                self._stop.wait(backoff)
                backoff = min(backoff * 2, MAX_BACKOFF)
                continue
            self.stats.reads += 1
            if result.overflow:
                self.stats.overflows += 1
            if outage_since is not None:
                self._carry_unknown = True  # samples went by while the device was away
                self._last_time_ns = None  # and its clock may have restarted
            if result.samples is None or len(result.samples) == 0:
                if result.samples is None:
                    self.stats.timeouts += 1
                if result.lost is None:
                    self._carry_unknown = True
                else:
                    self._carry_lost += result.lost
                continue
            outage_since = None
            self.retry_deadline = None
            backoff = 0.1
            self._ever_streamed = True
            self._deliver(result)

    def _stalled(self) -> bool:
        """True when a stream that worked has delivered nothing for ``stall_after`` s."""
        last = self._last_wall
        return last is not None and time.monotonic() - last > self.stall_after

    def _deliver(self, result: ReadResult) -> None:
        """Queue one read's samples with the count of samples missed before them."""
        samples = result.samples
        assert samples is not None
        n = len(samples)
        now = time.monotonic()
        rate = self.info.sample_rate
        if self.info.start_time is None:  # first samples: nothing can be missing before them
            self.info.start_time = self.now() - _dt.timedelta(seconds=n / rate)
            lost = 0
            self._first.set()
        elif result.time_ns is not None and self._last_time_ns is not None:
            lost = max(round((result.time_ns - self._last_time_ns) * rate / 1e9), 0)
        elif self._carry_unknown or result.lost is None:
            lost = self._estimate_gap(now, n)
        else:
            lost = self._carry_lost + result.lost
        self._carry_lost, self._carry_unknown = 0, False
        self._last_time_ns = (
            None if result.time_ns is None else result.time_ns + round(n * 1e9 / rate)
        )
        self._last_wall = now
        self.stats.received += n
        self.stats.device_lost += lost
        self.stats.buffer_dropped += self._buffer.put(samples, lost)

    def _estimate_gap(self, now: float, n: int) -> int:
        """Samples missed since the last read, from the host clock (count unknown).

        At least 1: samples were certainly lost, and the gap must show in the blocks.
        """
        self.stats.estimated += 1
        if self._last_wall is None:
            return 1
        return max(round((now - self._last_wall) * self.info.sample_rate) - n, 1)


def open_radio(
    device: str,
    *,
    frequency: float | None = None,
    sample_rate: float | None = None,
    gain: str | float | None = None,
    ppm: float | None = None,
    antenna: str | None = None,
    bandwidth: float | None = None,
    channel: int = 0,
    **live: Any,
) -> LiveSource:
    """Open a radio by its ``--device`` text: ``rtl_tcp=HOST:PORT`` or SoapySDR arguments.

    ``live`` passes ``buffer_seconds``, ``give_up_after``, ``duration``,
    ``notify`` and ``now`` on to :class:`LiveSource`. Settings the radio cannot take raise
    DeviceError naming what it supports; rtl_tcp has no antenna, bandwidth or
    channel choice (ConfigError).
    """
    text = (device or "").strip()
    if text.lower().startswith("rtl_tcp"):
        from sdrlink.errors import ConfigError
        from sdrlink.sources.rtltcp import RtlTcpSource, parse_host_port

        _, sep, address = text.partition("=")
        if not sep or not address.strip():
            raise ConfigError("give the server as --device rtl_tcp=HOST:PORT")
        unsupported = [
            name
            for name, value in (("--antenna", antenna), ("--bandwidth", bandwidth))
            if value is not None
        ]
        if channel:
            unsupported.append("--rx-channel")
        if unsupported:
            raise ConfigError(f"rtl_tcp does not support {', '.join(unsupported)}")
        host, port = parse_host_port(address)
        return RtlTcpSource(
            host,
            port,
            frequency=frequency,
            sample_rate=sample_rate or 2_048_000.0,
            gain=gain,
            ppm=ppm,
            **live,
        )
    from sdrlink.sources.soapy import SoapySource

    return SoapySource(
        text,
        frequency=frequency,
        sample_rate=sample_rate,
        bandwidth=bandwidth,
        gain=gain,
        ppm=ppm,
        antenna=antenna,
        channel=channel,
        **live,
    )
