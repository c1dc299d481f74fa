"""Dask clients: a new local cluster or a connection to a running scheduler.

``distributed`` is optional (``pip install 'sdrlink[batch]'``); without it these
raise ConfigError instead of ImportError.
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from sdrlink.errors import ConfigError


def _distributed(*names: str) -> tuple[Any, ...]:
    try:
        import distributed
    except ImportError:
        raise ConfigError(
            "batch decoding needs dask.distributed: pip install 'sdrlink[batch]'"
        ) from None
    return tuple(getattr(distributed, n) for n in names)


def local_client(workers: int | None = None) -> Any:
    """A Client on a new LocalCluster: ``workers`` processes of one thread each."""
    import logging

    Client, LocalCluster = _distributed("Client", "LocalCluster")
    n = workers or os.cpu_count() or 1
    if n < 1:
        raise ConfigError(f"need at least one worker, not {workers}")
    # Workers inherit an ignored SIGINT: Ctrl-C reaches the whole process group,
    # and only the client should react (commit what is done, close the cluster).
    main_thread = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN) if main_thread else None
    try:
        cluster = LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            dashboard_address=":0",  # any free port: never clash with a running cluster
            silence_logs=logging.ERROR,
        )
    finally:
        if main_thread:
            signal.signal(signal.SIGINT, previous)
    return Client(cluster)


def connect(address: str, timeout: float = 10.0) -> Any:
    """A Client on an existing dask.distributed scheduler (ConfigError if unreachable)."""
    (Client,) = _distributed("Client")
    try:
        return Client(address, timeout=timeout)
    except (OSError, TimeoutError, ValueError) as exc:
        raise ConfigError(f"cannot reach the Dask scheduler at {address} ({exc})") from None
