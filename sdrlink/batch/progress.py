"""The batch command's progress bar over files (on sdrlink.progress.TerminalLine)."""

from __future__ import annotations

from typing import TextIO

from sdrlink.batch.results import FileOutcome
from sdrlink.progress import TerminalLine, bar


class FileProgress(TerminalLine):
    """A bar over files on stderr, drawn only on a terminal (or with ``force``)."""

    def __init__(self, stream: TextIO | None = None, force: bool = False, hz: float = 4.0):
        super().__init__(stream, force, hz)
        self.counts = {"decoded": 0, "skipped": 0, "failed": 0}
        self.samples = 0

    def __call__(self, outcome: FileOutcome, done: int, total: int) -> None:
        self.counts[outcome.status] += 1
        self.samples += outcome.samples
        if not self.due(final=done >= total):
            return
        elapsed = self.elapsed
        eta = (total - done) * elapsed / done
        c = self.counts
        self.draw(
            f"{bar(done / total)} {done}/{total} files, "
            f"{c['skipped']} skipped, {c['failed']} failed, "
            f"{self.samples / elapsed / 1e6:.2f} Msamples/s, ETA {eta:4.0f} s "
        )
