"""One rule for every output file, checked before any work starts.

The folder must exist and be a folder we may write in; the file, if it
exists, must be a file we may write. Nothing creates folders on its own: a
mistyped path is an error naming what is wrong, not a new directory tree.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import IO, Any

from sdrlink.errors import ConfigError


def check_output(path: str | os.PathLike[str], what: str = "output") -> Path:
    """``path`` as a Path once it is known to be writable; ConfigError says why not."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    if target.is_dir():
        raise ConfigError(f"{target}: is a folder; the {what} must be a file")
    if not folder.exists():
        missing = folder
        while not missing.parent.exists() and missing.parent != missing:
            missing = missing.parent
        if missing.parent.exists() and not missing.parent.is_dir():
            raise ConfigError(f"{target}: {missing.parent} is a file, not a folder")
        raise ConfigError(f"{target}: folder {folder} does not exist")
    if not folder.is_dir():
        raise ConfigError(f"{target}: {folder} is a file, not a folder")
    if target.exists():
        if not os.access(target, os.W_OK):
            raise ConfigError(f"{target}: permission denied (cannot write the {what})")
    elif not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(f"{target}: permission denied (cannot create files in {folder})")
    return target


def check_rewritable(path: str | os.PathLike[str], what: str) -> Path:
    """For files replaced atomically (a temporary file renamed over them): the file
    must exist and its folder must take new files."""
    target = Path(path)
    if not target.is_file():
        raise ConfigError(f"{target}: no such file (the {what})")
    folder = target.parent if str(target.parent) else Path(".")
    if not os.access(folder, os.W_OK | os.X_OK):
        raise ConfigError(
            f"{target}: permission denied (the {what} is rewritten through a new file "
            f"in {folder}, which is not writable)"
        )
    return target


def open_output(path: str | os.PathLike[str], mode: str, **kwargs: Any) -> IO[Any]:
    """Open ``path`` for writing after :func:`check_output`; ConfigError names the problem."""
    target = check_output(path)
    try:
        return open(target, mode, **kwargs)  # noqa: SIM115 - the sink owns the handle
    except OSError as exc:
        raise ConfigError(f"{target}: cannot write output ({exc.strerror or exc})") from None
