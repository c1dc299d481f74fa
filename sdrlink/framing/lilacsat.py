"""LilacSat-1 framing (9600 Bd BPSK): CCSDS-style coded frames mixing data and Codec2.

LilacSat-1 (BY02, Harbin Institute of Technology) sends, continuously, frames
of the CCSDS sync marker 0x1ACFFC1D and 116 bytes CCSDS-randomised from the
byte after the marker; the bit stream is differentially encoded (NRZ-M) and
then K=7 r=1/2 convolutionally coded with the CCSDS code (CCSDS 131.0-B). The
120 bytes of marker and frame are five chunks of 24 bytes: 17 bytes of data
(a KISS stream) and 7 of Codec2 voice each, the marker taking the first four
data bytes, so a frame carries 81 data bytes and 35 Codec2 bytes. Facts from
gr-satellites 4.4.0 (``lilacsat_1_deframer.py``: code, differential decoding,
marker, randomiser) and its ``lilacsat1_demux`` block (chunk layout).

Decoding reuses :class:`~sdrlink.framing.ccsds.ConcatenatedDeframer` (soft
Viterbi in both symbol-pair alignments, differential decoding, marker search
with at most one wrong bit). The frame has no check of its own (``crc_ok``
None), so besides the marker the deframer requires the Viterbi decoder to
have been in agreement with the channel: re-encoding the decoded bits must
reproduce at least 86 % of the frame's hard symbols. On noise the best path
of this code still agrees with about 83 % of them (16-19 % wrong over a
frame), while frames that decode at all have under 12 % wrong symbols.
Fields: ``codec2`` (hex of the 35 Codec2 bytes), ``viterbi_errors`` (channel
symbols the decoder corrected over the frame), ``alignment``, ``sync_errors``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import CCSDS, conv_encode
from sdrlink.coding.linecode import diff_encode
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, RawFrame
from sdrlink.framing.ccsds import ASM, ConcatenatedDeframer, Layout

PACKET = 116  # bytes after the marker
CHUNKS, CHUNK, VOICE = 5, 24, 7
DATA_BYTES = CHUNKS * (CHUNK - VOICE) - 4  # 81
LAYOUT = Layout(PACKET, False, "dual", 1, True, True)
MAX_ERROR_RATE = 0.14
SETTLE = 2 * (CCSDS.k - 1)  # symbols before the re-encoding state is known


def split(packet: bytes) -> tuple[bytes, bytes]:
    """(81 data bytes, 35 Codec2 bytes) of the 116 descrambled bytes after the marker."""
    rows = np.frombuffer(ASM.to_bytes(4, "big") + bytes(packet), np.uint8).reshape(CHUNKS, CHUNK)
    return rows[:, : CHUNK - VOICE].ravel()[4:].tobytes(), rows[:, CHUNK - VOICE :].tobytes()


def join(data: bytes, voice: bytes) -> bytes:
    """The 116 bytes after the marker for 81 data and 35 Codec2 bytes (inverse of split)."""
    rows = np.zeros((CHUNKS, CHUNK), np.uint8)
    d = np.frombuffer(ASM.to_bytes(4, "big") + bytes(data), np.uint8).reshape(CHUNKS, -1)
    rows[:, : CHUNK - VOICE] = d
    rows[:, CHUNK - VOICE :] = np.frombuffer(bytes(voice), np.uint8).reshape(CHUNKS, VOICE)
    return rows.ravel()[4:].tobytes()


def channel_errors(packet: bytes, symbols: np.ndarray) -> int:
    """Hard symbols of the frame that the re-encoded decoded bits contradict (after the
    first few, which depend on the encoder state before the marker)."""
    bits = np.unpackbits(np.frombuffer(ASM.to_bytes(4, "big") + ccsds_xor(packet), np.uint8))
    hard = (np.asarray(symbols)[: 2 * len(bits)] > 0).astype(np.uint8)
    best = len(hard)
    for prev in (0, 1):  # the level before the marker (differential encoding)
        coded = conv_encode(diff_encode(bits, prev), CCSDS)[: len(hard)]
        best = min(best, int(np.count_nonzero(coded[SETTLE:] != hard[SETTLE:])))
    return best


class LilacsatDeframer(Deframer):
    """CCSDS concatenated-style decoding, then the check of the Viterbi agreement and the
    split into data and voice."""

    def __init__(self, invert: bool | None) -> None:
        self.inner = ConcatenatedDeframer(LAYOUT, "ccsds", invert)
        self.window = self.inner.window

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        out = []
        for r in self.inner.scan(soft, base, final):
            syms = soft[max(0, r.start) : r.stop]
            errors = channel_errors(r.payload, syms)
            if errors > MAX_ERROR_RATE * max(1, len(syms) - SETTLE):
                continue
            data, voice = split(r.payload)
            fields = dict(r.fields)
            fields.update({"codec2": voice.hex(), "viterbi_errors": errors})
            out.append(RawFrame(r.start, r.stop, data, None, fields))
        return out


def encode(payload: bytes, options: Mapping[str, Any], preamble_bits: int) -> EncodedFrame:
    """One transmission of 81 data bytes (silent Codec2 bytes): a preamble, the marker
    and frame, differentially and convolutionally encoded."""
    if len(payload) != DATA_BYTES:
        raise ConfigError(f"LilacSat-1 frames carry {DATA_BYTES} data bytes")
    frame = ASM.to_bytes(4, "big") + ccsds_xor(join(payload, bytes(CHUNKS * VOICE)))
    n_pre = max(32, -(-preamble_bits // 2))
    info = np.concatenate(
        [
            np.arange(n_pre, dtype=np.uint8) % 2,
            np.unpackbits(np.frombuffer(frame, np.uint8)),
            np.arange(256, dtype=np.uint8) % 2,  # lets the receiver's Viterbi release the end
        ]
    )
    return EncodedFrame(conv_encode(diff_encode(info), CCSDS), 2 * n_pre)


FRAMINGS = (
    Framing(
        name="lilacsat1",
        description="LilacSat-1: K=7 convolutional code, NRZ-M, CCSDS marker, data + Codec2",
        make_deframer=lambda options, invert: LilacsatDeframer(invert),
        encode=encode,
        aliases=("LilacSat-1",),
        max_payload=DATA_BYTES,
        polarity_free=True,
    ),
)
