"""What :func:`sdrlink.batch.decode_many` reports: per file and for the whole run."""

from __future__ import annotations

from dataclasses import dataclass, field

from sdrlink.frame import Frame


@dataclass
class FileOutcome:
    """How one recording fared: status is 'decoded', 'skipped' or 'failed'."""

    path: str
    status: str
    content_hash: str | None = None
    frames: int = 0
    samples: int = 0
    wall_s: float = 0.0
    cpu_s: float = 0.0
    run_id: int | None = None
    error: str | None = None
    internal: bool = False
    note: str = ""


@dataclass
class BatchResult:
    """The outcome of :func:`decode_many`.

    ``files`` follows the order of the input paths. ``frames`` maps a path to
    the frames decoded in this run when they were kept (``keep_frames``; the
    default without a database).
    """

    files: list[FileOutcome]
    wall_s: float
    frames: dict[str, list[Frame]] = field(default_factory=dict)
    startup_s: float = 0.0  # starting a local cluster (not part of wall_s)
    db: str | None = None
    parquet: str | None = None

    def _with(self, status: str) -> list[FileOutcome]:
        return [f for f in self.files if f.status == status]

    @property
    def decoded(self) -> list[FileOutcome]:
        return self._with("decoded")

    @property
    def skipped(self) -> list[FileOutcome]:
        return self._with("skipped")

    @property
    def failures(self) -> list[FileOutcome]:
        return self._with("failed")

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def frame_count(self) -> int:
        """Frames written (or kept) in this run."""
        return sum(f.frames for f in self.decoded)

    @property
    def samples(self) -> int:
        return sum(f.samples for f in self.decoded)

    @property
    def cpu_s(self) -> float:
        """CPU seconds the workers spent on this run's files (hashing included)."""
        return sum(f.cpu_s for f in self.files)

    @property
    def samples_per_s(self) -> float:
        return self.samples / self.wall_s if self.wall_s > 0 else 0.0

    def summary(self) -> str:
        """One line: files, skipped, frames, failures, throughput."""
        return (
            f"{len(self.files)} file(s): {len(self.decoded)} decoded, {len(self.skipped)} "
            f"skipped, {len(self.failures)} failed; {self.frame_count} frame(s); "
            f"{self.samples / 1e6:.1f} Msamples in {self.wall_s:.1f} s "
            f"({self.samples_per_s / 1e6:.2f} Msamples/s)"
            + (f", +{self.startup_s:.1f} s cluster start-up" if self.startup_s else "")
        )
