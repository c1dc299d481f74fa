"""The interface every sample source (file or live radio) implements."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from sdrlink.blocks import SampleBlock, StreamInfo

DEFAULT_BLOCK = 1 << 16


class Source(ABC):
    """A stream of sample blocks with explicit absolute sample indices.

    Sources are context managers; ``blocks()`` may be iterated once. Files are
    read in constant memory; live sources run until ``stop()`` or Ctrl-C.
    """

    info: StreamInfo

    @abstractmethod
    def blocks(self, block_size: int = DEFAULT_BLOCK) -> Iterator[SampleBlock]:
        """Yield consecutive blocks of at most ``block_size`` samples."""

    def stop(self) -> None:  # noqa: B027 - optional hook
        """Ask a live source to finish its current block and end the stream."""

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release files or devices."""

    def __enter__(self) -> Source:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
