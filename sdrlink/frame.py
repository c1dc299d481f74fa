"""The decoded-frame record that every protocol receiver yields."""

from __future__ import annotations

import datetime as _dt
import math
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Frame:
    """One decoded burst.

    Every protocol reports these quantities with the one meaning given here
    (protocol-specific detail, where there is some, is named).

    Attributes:
        protocol: protocol name from the registry ("lora", "fsk", ...).
        sample_index: absolute index, in the source's sample clock, of the
            frame's first sample: LoRa the first preamble chirp; framed
            FSK/BPSK the first symbol of the sync word or opening flag.
            With the source's start time it gives ``time``.
        payload: the decoded payload bytes (for framed protocols, the frame
            without its CRC).
        crc_ok: True when a CRC was present and matched, False when it failed,
            None when the frame carries no CRC.
        freq_offset_hz: the carrier frequency relative to the tuned centre
            frequency (``center_freq_hz``), in Hz, at the frame's start
            (``sample_index``), for every modulation: LoRa from the preamble,
            carried back to the frame's start with the drift where that is
            significant; FSK and BPSK from a line through the carrier over
            the frame; any Doppler compensation applied ahead of the
            receiver is added back. From FM-discriminator
            audio the carrier is seen only through the audio: FSK reports the
            audio's DC scaled by the nominal deviation (DC-coupled audio of the
            usual polarity assumed); AFSK reports the offset of the audio
            tones from their nominal frequencies, as ``fields["offset_of"]``
            ("carrier" or "audio tones") says. NaN when it could not be
            measured.
        snr_db: signal power over noise power in the signal's occupied
            bandwidth, in dB, with the bandwidth in
            ``fields["snr_bandwidth_hz"]`` where it is not a protocol
            parameter: LoRa the LoRa bandwidth (``fields["bw"]``); FSK, GFSK,
            GMSK Carson's bandwidth 2 * deviation + baud; AFSK
            2 * (deviation + highest tone); BPSK (DBPSK, Manchester) a
            bandwidth equal to the bit rate, so that ``snr_db`` is Eb/N0 per
            channel bit, the natural figure of a matched-filter modem; LR-FHSS
            one hop's 488.28 Hz (24.08 dB above the SNR in a 125 kHz reference
            bandwidth). The simulator (:mod:`sdrlink.simulate`) sets its SNR in
            the same bandwidth. Eb/N0 is ``fields["ebn0_db"]`` where a protocol
            gives it. NaN where the RF SNR cannot be measured (FSK from discriminator
            audio: its audio-domain figure is ``fields["symbol_snr_db"]``).
        time: UTC time of ``sample_index`` when the source's start time is known.
        center_freq_hz: the source's tuned centre frequency, when known.
        fields: protocol-specific values (spreading factor, header, addresses ...).
        sample_count: how many samples (from ``sample_index``) the burst lasts
            on air, when the receiver knows; None otherwise.

    Fields every modem with a drift estimate reports (LoRa, FSK, BPSK, LR-FHSS):
        ``drift_hz_s``: the carrier's drift over the frame, Hz/s, reported only
        with ``drift_uncertainty_hz_s``, the half-width of its 95 % confidence
        interval; ``drift_hz_s`` is None when the frame is too short (or too
        noisy) to tell a drift: a half-width above 100 Hz/s (FSK: a standard
        error above 50 Hz/s, the same thing). Measured against the simulator,
        the true drift lies inside the interval in about 90-100 % of frames.

    Check and FEC fields mean what their names say: ``fields["header_ok"]``
    (LoRa) is True when an explicit header's checksum held (a frame whose
    header fails is not reported: its length is unknown) and None with an
    implicit header; ``fields["hamming_corrected"]`` (LoRa) lists, per
    interleaver block, the codeword bits the soft decoder changed from the hard
    decisions; ``fields["rs_corrected"]`` (Reed-Solomon framings) the bytes the
    RS decoder corrected; ``crc_ok`` the frame's own check, after any FEC.
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
        """A JSON-serialisable dict (payload as hex, time as ISO 8601, NaN as None)."""
        d = asdict(self)
        d["payload"] = self.payload.hex()
        d["time"] = self.time.isoformat().replace("+00:00", "Z") if self.time else None
        d["fields"] = _jsonable(self.fields)
        for key in ("freq_offset_hz", "snr_db"):
            d[key] = _jsonable(d[key])
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
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN or infinity
    return value
