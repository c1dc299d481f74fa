"""The decoded-frame record that every protocol receiver yields."""

from __future__ import annotations

import datetime as _dt
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Frame:
    """One decoded burst.

    Attributes:
        protocol: protocol name from the registry ("lora", "fsk", ...).
        sample_index: absolute index (in the source's sample clock) of the start
            of the burst; with the source's start time it gives ``time``.
        payload: the decoded payload bytes (for framed protocols, the frame
            without its CRC).
        crc_ok: True when a CRC was present and matched, False when it failed,
            None when the frame carries no CRC.
        freq_offset_hz: measured carrier offset relative to the tuned centre
            frequency (after any Doppler compensation has been added back).
        snr_db: SNR estimate in the signal bandwidth (LR-FHSS: in one hop's
            488.28 Hz, 24.08 dB above the SNR in 125 kHz).
        time: UTC time of ``sample_index`` when the source's start time is known.
        center_freq_hz: the source's tuned centre frequency, when known.
        fields: protocol-specific values (spreading factor, header, addresses ...).
        sample_count: how many samples (from ``sample_index``) the burst lasts
            on air, when the receiver knows; None otherwise.
    """

    protocol: str
    sample_index: int
    payload: bytes
    crc_ok: bool | None
    freq_offset_hz: float = 0.0
    snr_db: float = float("nan")
    time: _dt.datetime | None = None
    center_freq_hz: float | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    sample_count: int | None = None

    @property
    def valid(self) -> bool:
        """True when the frame passed its integrity check (or has none)."""
        return self.crc_ok is not False

    def to_dict(self) -> dict[str, Any]:
        """A JSON-serialisable dict (payload as hex, time as ISO 8601)."""
        d = asdict(self)
        d["payload"] = self.payload.hex()
        d["time"] = self.time.isoformat().replace("+00:00", "Z") if self.time else None
        d["fields"] = _jsonable(self.fields)
        return d

    def text(self) -> str:
        """The payload with non-printable bytes shown as '.'."""
        return "".join(chr(b) if 32 <= b < 127 else "." for b in self.payload)

    def __repr__(self) -> str:
        crc = {True: "ok", False: "BAD", None: "none"}[self.crc_ok]
        when = self.time.isoformat() if self.time else f"sample {self.sample_index}"
        return (
            f"Frame({self.protocol}, {when}, {self.freq_offset_hz:+.1f} Hz, "
            f"{self.snr_db:.1f} dB, crc {crc}, {len(self.payload)} B: {self.payload[:16].hex()}"
            f"{'…' if len(self.payload) > 16 else ''})"
        )


def _jsonable(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, bytes):
        return value.hex()
    if hasattr(value, "item"):  # numpy scalar
        return value.item()
    return value
