"""SIGTERM and SIGHUP end a command exactly as Ctrl-C does.

``systemd``, ``docker stop``, ``timeout`` and batch schedulers stop a program
with SIGTERM; closing its terminal sends SIGHUP. Without a handler either
kills the process on the spot: half-written outputs, run logs left
"running", temporary files behind. :func:`handle_signals` turns them into
:class:`Interrupted`, a :class:`KeyboardInterrupt`, so that every path that
already finishes cleanly on Ctrl-C (the pipeline flushes receivers and closes
sinks, writers rename their files into place) does the same for them. Once a
command is stopping, further signals are noted but do not interrupt the
clean-up. The exit code is 128 + the signal number (130 for SIGINT, 143 for
SIGTERM, 129 for SIGHUP), as shells report it.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

CAUGHT = (signal.SIGTERM, signal.SIGHUP)


class Interrupted(KeyboardInterrupt):
    """Raised in the main thread when SIGTERM or SIGHUP arrives."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


_received: list[int] = []


def received() -> int | None:
    """The first signal that stopped the command, or None (Ctrl-C counts as SIGINT)."""
    return _received[0] if _received else None


def exit_code() -> int:
    """The exit status of a command stopped by a signal (130 when none was caught)."""
    return 128 + (received() or signal.SIGINT)


def _on_signal(signum: int, frame: FrameType | None) -> None:
    first = not _received
    _received.append(signum)
    if first:
        # stop quietly from now on: the clean-up must run to its end
        for sig in (*CAUGHT, signal.SIGINT):
            signal.signal(sig, _note)
        if signum == signal.SIGINT:
            raise KeyboardInterrupt
        raise Interrupted(signum)


def _note(signum: int, frame: FrameType | None) -> None:
    _received.append(signum)


@contextlib.contextmanager
def handle_signals() -> Iterator[None]:
    """Within the block, SIGTERM/SIGHUP (and SIGINT) raise in the main thread.

    Outside the main thread (signal handlers cannot be set there) it does
    nothing. The previous handlers are restored afterwards.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    del _received[:]
    previous = {sig: signal.getsignal(sig) for sig in (*CAUGHT, signal.SIGINT)}
    try:
        for sig in previous:
            signal.signal(sig, _on_signal)
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
