"""Sample sources: recorded files and live radios, all yielding SampleBlocks."""

from __future__ import annotations

from sdrlink.sources.base import DEFAULT_BLOCK, Source

__all__ = ["Source", "DEFAULT_BLOCK", "open_source"]


def open_source(path: str, **kwargs) -> Source:
    """Open a recording by file type (see :func:`sdrlink.sources.files.open_file`)."""
    from sdrlink.sources.files import open_file

    return open_file(path, **kwargs)
