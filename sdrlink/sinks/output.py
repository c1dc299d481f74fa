"""Opening output files with a one-line error instead of a traceback."""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from sdrlink.errors import ConfigError


def open_output(path: str | os.PathLike[str], mode: str, **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing, creating its folder; ConfigError names a path we can't write."""
    target = Path(path)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        return open(target, mode, **kwargs)  # noqa: SIM115 - the sink owns the handle
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write output ({exc.strerror or exc})") from None
