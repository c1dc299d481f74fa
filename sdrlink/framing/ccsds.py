"""CCSDS TM synchronisation and channel coding (CCSDS 131.0-B), as satellites fly it.

On air, every frame starts with the 32-bit attached sync marker 0x1ACFFC1D,
followed by the frame: ``frame_size`` data bytes and, with Reed-Solomon, the
parity of ``rs_interleaving`` interleaved RS(255,223) codewords (shortened to
the frame; dual or conventional basis), all XORed with the CCSDS
pseudo-randomiser from the first byte after the marker (``scrambler``
ccsds) or not. The marker is never randomised.

* ``ccsds_rs`` ("CCSDS Reed-Solomon"): the bits above as the channel bits.
* ``ccsds_rs_no_scrambler`` ("CCSDS Reed-Solomon no-scrambler", gr-satellites
  master: BeliefSat-1): ``ccsds_rs`` with the randomiser off (its
  ``scrambler`` none), as its own name so the satellite descriptions can say it.
* ``ccsds_uncoded`` ("CCSDS Uncoded"): the same without Reed-Solomon: no
  check, so the marker must match to within one bit and frames carry
  ``crc_ok`` None.
* ``ccsds_concatenated`` ("CCSDS Concatenated"): the bits above (markers
  included) go through the K=7 r=1/2 convolutional code, decoded here
  continuously by soft Viterbi in both symbol-pair alignments; the marker is
  then found in the decoded bits. ``convolutional`` names the variant.

``precoding`` differential: the bits (before the convolutional code, if any)
are differentially encoded (NRZ-M), which removes a BPSK phase ambiguity;
otherwise the marker is looked for in both polarities. Options and defaults
follow gr-satellites' CCSDS deframers (frame 223 bytes, dual basis, depth 1,
CCSDS scrambler and code).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np

from sdrlink.coding.convolutional import ViterbiStream, conv_encode, named_code
from sdrlink.coding.linecode import diff_decode, diff_encode
from sdrlink.coding.reedsolomon import (
    CCSDS_RS,
    FROM_DUAL,
    NROOTS,
    TO_DUAL,
    decode_frame,
    encode_frame,
)
from sdrlink.coding.scramblers import ccsds_xor
from sdrlink.errors import ConfigError
from sdrlink.framing.base import (
    Deframer,
    EncodedFrame,
    Framing,
    FramingOption,
    RawFrame,
    parse_choice,
    parse_int_in,
)
from sdrlink.framing.sync import ERASED_SHARE, bits_of, find_sync

ASM = 0x1ACFFC1D
ASM_BITS = bits_of(ASM, 32)
MAX_FRAME = 8 * 223  # data bytes with the deepest interleaving
SLIP_PREFIX = 8  # bytes before a slip that must match exactly (slip aliases)
SLIP_SPAN = 6  # bytes a slip of up to 40 bits garbles where it happens


@dataclass(frozen=True)
class Layout:
    """What a CCSDS frame looks like, from the framing's options."""

    frame_size: int
    rs: bool
    basis: str
    interleave: int
    scrambler: bool
    differential: bool

    @property
    def coded_bytes(self) -> int:
        return self.frame_size + (32 * self.interleave if self.rs else 0)

    @property
    def bits(self) -> int:
        """Marker and frame, in bits."""
        return 32 + 8 * self.coded_bytes


def layout(options: Mapping[str, Any], rs: bool) -> Layout:
    """Check the options together (ConfigError) and describe the frame."""
    lay = Layout(
        int(options["frame_size"]),
        rs,
        str(options.get("rs_basis", "dual")),
        int(options.get("rs_interleaving", 1)),
        options["scrambler"] == "ccsds",
        options["precoding"] == "differential",
    )
    if rs:
        if lay.frame_size % lay.interleave or lay.frame_size // lay.interleave > 223:
            raise ConfigError(
                f"CCSDS frame of {lay.frame_size} bytes does not fit {lay.interleave} "
                "interleaved RS(255,223) codeword(s) (frame size must be a multiple of "
                "the depth, at most 223 per codeword)"
            )
    return lay


@cache
def _shift_logs(basis: str) -> tuple[int, ...]:
    """Logs of the constants whose product shifts a symbol's bits by one or two places
    (either way), but for the bits shifted in (found by trying every symbol)."""
    gf = CCSDS_RS.gf
    z = np.arange(1, 256)
    bits = TO_DUAL[z] if basis == "dual" else z.astype(np.uint8)
    out = []
    for moved in ((bits.astype(np.int64) << 1) & 0xFF, bits.astype(np.int64) >> 1):
        back = FROM_DUAL[moved.astype(np.uint8)] if basis == "dual" else moved
        ok = back != 0
        diff = (gf.log_np[back[ok]] - gf.log_np[z[ok]]) % 255
        out.append(int(np.bincount(diff, minlength=255).argmax()))
    return (*out, (2 * out[0]) % 255, (2 * out[1]) % 255)


class AsmFinder:
    """Streaming search of CCSDS frames in hard bits with absolute indices.

    Reed-Solomon alone checks a frame only by its distance, and the code's own
    symmetries put wrong windows within its reach: the full-length code is
    cyclic, and the CCSDS randomiser sequence is a codeword at every bit phase,
    so a window a few bytes off a real frame decodes with those bytes
    "corrected"; and without the randomiser, a bit slip in sparse data (a
    short frame padded with zeros) turns the rest of the frame into a near
    multiple of a cyclic shift of it. A decode is therefore accepted only if
    it is neither alias (:meth:`_alias`, :meth:`_slip_alias`) and its erasures
    (bits decided from no signal, zero-filled gaps) and corrections fit the
    code (:meth:`_fits`).
    """

    def __init__(self, lay: Layout, invert: bool | None, max_errors: int) -> None:
        self.lay = lay
        # differential decoding resolves the polarity
        self.invert = False if lay.differential else invert
        self.max_errors = max_errors
        self.bits = np.zeros(0, np.uint8)
        self.erased = np.zeros(0, bool)  # bits decided from no signal (zero-filled gaps)
        self.base = 0  # absolute index of bits[0]
        self.prev = 0  # last raw bit before bits (differential decoding)
        self.next_sync = 0
        self.skip_until = 0  # no marker inside a frame already accepted

    def push(self, bits: np.ndarray, erased: np.ndarray | None = None) -> None:
        bits = np.asarray(bits, dtype=np.uint8)
        if erased is None:
            erased = np.zeros(len(bits), bool)
        self.erased = np.concatenate([self.erased, erased])
        if self.lay.differential and len(bits):
            dec = diff_decode(bits, self.prev)
            self.prev = int(bits[-1])
            bits = dec
        self.bits = np.concatenate([self.bits, bits])

    def scan(self, final: bool) -> list[tuple[int, bytes, bool | None, dict[str, Any]]]:
        """Frames whose bits are all in (absolute start, data, crc_ok, fields)."""
        need = self.lay.bits
        lo = max(0, self.next_sync - self.base)
        stop = len(self.bits) - need + 1
        out: list[tuple[int, bytes, bool | None, dict[str, Any]]] = []
        if stop > lo:
            idx, inverted = find_sync(self.bits[lo : stop + 31], ASM_BITS, self.max_errors)
            for i, inv in zip((idx + lo).tolist(), inverted.tolist(), strict=True):
                a = self.base + i
                if i >= stop or a < self.skip_until:
                    continue
                if self.invert is not None and inv != self.invert:
                    continue
                if self.lay.rs and self.erased[i + 32 : i + need].mean() > ERASED_SHARE:
                    continue  # a gap would read as the all-zero codeword
                res = self._frame(i, inv)
                if res is None:
                    continue
                data, ok, fields = res
                errors = int(np.count_nonzero(self.bits[i : i + 32] != (ASM_BITS ^ int(inv))))
                fields.update({"inverted": bool(inv), "sync_errors": errors})
                out.append((a, data, ok, fields))
                self.skip_until = a + need
            self.next_sync = self.base + stop
        # keep what a later marker search can still need, and the bytes before it that
        # an alias check looks back into
        cut = max(0, self.next_sync - self.base - 8 * self._reach())
        self.bits = self.bits[cut:]
        self.erased = self.erased[cut:]
        self.base += cut
        return out

    def _frame(self, i: int, inv: bool) -> tuple[bytes, bool | None, dict] | None:
        """Decode the frame whose marker starts at ``bits[i]`` (None: no frame)."""
        lay = self.lay
        bits = self.bits[i + 32 : i + lay.bits]
        hard = 1 - bits if inv else bits
        raw = np.packbits(hard).tobytes()
        if lay.scrambler:
            raw = ccsds_xor(raw)
        if not lay.rs:
            return raw, None, {}
        res = decode_frame(raw, lay.interleave, lay.basis)
        if res is None:
            return None
        erased = self.erased[i + 32 : i + lay.bits]
        if any(res[1]) or erased.any():
            coded = encode_frame(res[0], lay.interleave, lay.basis)
            if lay.scrambler:
                coded = ccsds_xor(coded)
            flipped = np.unpackbits(np.frombuffer(coded, np.uint8)) != hard
            wrong = flipped.reshape(-1, 8).any(axis=1)
            if self._alias(i, wrong) or not self._fits(wrong, erased):
                return None
            if not lay.scrambler and self._slip_alias(coded, raw):
                return None
        return res[0], True, {"rs_corrected": res[1]}

    def _reach(self) -> int:
        """Bytes an aliased window can lie off its frame (what RS corrects, and 2)."""
        return 16 * self.lay.interleave + 2

    def _alias(self, i: int, wrong: np.ndarray) -> bool:
        """Whether the window at ``bits[i]`` is a real frame's, shifted.

        Shifted by ``m`` bytes, a window holds a cyclic shift of the frame's
        codeword (and, randomised, another phase of the randomiser, also a
        codeword; zeros or the randomiser alone shift by single bits too) but
        for ``m`` bytes at one end, which RS then "corrects". So where the
        corrected bytes (three in four or more) fill the ``m`` bytes at one end
        of the window and a marker lies up to ``m`` bytes towards the other
        (either polarity, as many errors as a marker may have), the window is
        that frame's alias. A real frame's own errors rarely fill an edge, and
        a marker in that reach is rarer still (about 1e-5 per bit).
        """
        n, reach = len(wrong), 8 * min(len(wrong) // 2, self._reach())
        head, tail = np.cumsum(wrong), np.cumsum(wrong[::-1])
        lo = max(0, i - reach)
        ahead = find_sync(self.bits[i + 8 : i + reach + 32], ASM_BITS, self.max_errors)[0] + 8
        behind = i - lo - find_sync(self.bits[lo : i - 8 + 32], ASM_BITS, self.max_errors)[0]
        for runs, shifts in ((head, ahead), (tail, behind)):
            for d in shifts.tolist():
                m = -(-d // 8)  # bytes of the window before (after) that frame's content
                if 0 < m <= n and runs[m - 1] >= 0.75 * m:
                    return True
        return False

    def _slip_alias(self, coded: bytes, received: bytes) -> bool:
        """Whether a decode to ``coded`` of the unrandomised ``received`` bytes took a
        bit slip in sparse data for errors.

        A slip of one or two bits (and whole bytes) shifts every later symbol;
        in the dual basis a one-bit shift of a symbol's bits is its product by
        a constant (``_shift_logs``, in the conventional basis by alpha) but
        for the bit shifted in, so zeros stay zeros and the shifted frame is a
        multiple of (a cyclic shift of) the codeword in all but about half of
        its nonzero symbols: sparse frames land within reach of that multiple.
        Such a decode corrects the received symbols before the slip, which a
        codeword of that family matches exactly, and after it mostly nonzero
        symbols; a real frame's errors do neither.
        """
        lay = self.lay
        c = np.frombuffer(coded, np.uint8)
        r = np.frombuffer(received, np.uint8)
        conv = FROM_DUAL[c] if lay.basis == "dual" else c
        agree = r == c
        nonzero = c != 0
        gf = CCSDS_RS.gf
        logs, nz = gf.log_np[conv], conv != 0
        full = lay.interleave == 1 and len(c) == 255
        for q in range(-5, 6) if full else (0,):
            lq, nq = np.roll(logs, q), np.roll(nz, q)
            for e in (0, *_shift_logs(lay.basis)):
                if q == 0 and e == 0:
                    continue
                cand = np.where(nq, gf.exp_np[(lq + e) % 255], 0).astype(np.uint8)
                if lay.basis == "dual":
                    cand = TO_DUAL[cand]
                same = r == cand
                # the longest prefix cand explains exactly (at least SLIP_PREFIX bytes: a
                # real frame's errors cannot make one), that c' gets wrong in places
                p = int(np.argmin(same)) if not same.all() else len(r)
                if p < SLIP_PREFIX or agree[:p].all():
                    continue
                # after the slip's own bytes, what c' corrects lies on its nonzero symbols
                later = ~agree[p + SLIP_SPAN :]
                hits = np.count_nonzero(later & nonzero[p + SLIP_SPAN :])
                if hits >= 0.75 * np.count_nonzero(later):
                    return True
        return False

    def _fits(self, wrong: np.ndarray, erased: np.ndarray) -> bool:
        """Whether the corrected bytes (``wrong``) respect the erasures.

        A byte with an erased bit carries no information, so it uses up one
        parity byte whether it happens to be right or not: a codeword passes
        only if twice its corrected bytes elsewhere plus its erased bytes fit
        its parity (``2e + f <= 32``, the bound of errors-and-erasures
        decoding, within which the decode is unique). Without this, a gap over
        the parity lets a few wrong data bytes, or zeros, pass for a codeword.
        """
        gone: np.ndarray = np.any(erased.reshape(-1, 8), axis=1)
        step = self.lay.interleave
        for k in range(step):
            e = np.count_nonzero(wrong[k::step] & ~gone[k::step])
            if 2 * e + np.count_nonzero(gone[k::step]) > NROOTS:
                return False
        return True


class CcsdsDeframer(Deframer):
    """CCSDS frames in the hard decisions of the symbols (ccsds_rs, ccsds_uncoded)."""

    def __init__(self, lay: Layout, invert: bool | None) -> None:
        self.finder = AsmFinder(lay, invert, 4 if lay.rs else 1)
        self.window = lay.bits + 64
        self.fed = 0  # absolute index of the next symbol to take

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        new = np.asarray(soft[max(0, self.fed - base) :])
        self.fed = base + len(soft)
        self.finder.push((new > 0).astype(np.uint8), ~(np.abs(new) > 0))
        need = self.finder.lay.bits
        return [
            RawFrame(a - base, a - base + need, data, ok, fields)
            for a, data, ok, fields in self.finder.scan(final)
        ]


class ConcatenatedDeframer(Deframer):
    """Soft Viterbi in both pair alignments, then CCSDS frames in the decoded bits."""

    def __init__(self, lay: Layout, code_name: str, invert: bool | None) -> None:
        code = named_code(code_name)
        self.streams = [ViterbiStream(code), ViterbiStream(code)]
        # per stream: whether each coming decoded bit's symbol pair was erased
        self.pair_erased: list[np.ndarray] = [np.zeros(0, bool), np.zeros(0, bool)]
        self.odd: list[np.ndarray] = [np.zeros(0, bool), np.zeros(0, bool)]
        self.finders = [AsmFinder(lay, invert, 4 if lay.rs else 1) for _ in range(2)]
        lag = self.streams[0].depth + self.streams[0].every
        self.window = 2 * (lay.bits + lag) + 64
        self.fed = 0

    def scan(self, soft: np.ndarray, base: int, final: bool) -> list[RawFrame]:
        new = np.asarray(soft[max(0, self.fed - base) :], dtype=np.float32)
        first = self.fed == 0
        self.fed = base + len(soft)
        need = self.finders[0].lay.bits
        found: list[RawFrame] = []
        for a, (stream, finder) in enumerate(zip(self.streams, self.finders, strict=True)):
            sym = new[1:] if (a == 1 and first) else new
            bits = stream.process(sym)
            if final:
                bits = np.concatenate([bits, stream.flush()])
            flags = np.concatenate([self.odd[a], ~(np.abs(sym) > 0)])
            whole = len(flags) - len(flags) % 2
            self.odd[a] = flags[whole:]
            pairs = np.concatenate([self.pair_erased[a], flags[:whole:2] & flags[1:whole:2]])
            if len(pairs) < len(bits):  # the flushed tail
                pairs = np.concatenate([pairs, np.ones(len(bits) - len(pairs), bool)])
            self.pair_erased[a] = pairs[len(bits) :]
            finder.push(bits, pairs[: len(bits)])
            for b, data, ok, fields in finder.scan(final):
                start = a + 2 * b - base  # first symbol of the marker, in this window
                fields["alignment"] = a
                found.append(RawFrame(start, start + 2 * need, data, ok, fields))
        found.sort(key=lambda r: r.start)
        return found


# --- options and encoders ---------------------------------------------------------------

OPT_FRAME_SIZE = FramingOption(
    "frame_size",
    223,
    "frame size in bytes as the satellite description gives it (CCSDS: without the "
    "Reed-Solomon parity)",
    parse_int_in(1, MAX_FRAME),
    "BYTES",
)
OPT_BASIS = FramingOption(
    "rs_basis",
    "dual",
    "Reed-Solomon symbol basis: dual (CCSDS) or conventional",
    parse_choice("dual", "conventional"),
    "BASIS",
)
OPT_INTERLEAVING = FramingOption(
    "rs_interleaving", 1, "Reed-Solomon interleaving depth (1..8)", parse_int_in(1, 8), "DEPTH"
)
OPT_PRECODING = FramingOption(
    "precoding",
    "none",
    "differential (NRZ-M) precoding: none or differential",
    parse_choice("none", "differential"),
    "CODING",
)
OPT_SCRAMBLER = FramingOption(
    "scrambler",
    "ccsds",
    "randomiser after the sync marker: ccsds or none",
    parse_choice("ccsds", "none"),
    "SCRAMBLER",
)
OPT_CONVOLUTIONAL = FramingOption(
    "convolutional",
    "ccsds",
    "K=7 r=1/2 code variant: ccsds, nasa-dsn, 'ccsds uninverted' or 'nasa-dsn uninverted'",
    parse_choice("ccsds", "nasa-dsn", "ccsds uninverted", "nasa-dsn uninverted"),
    "CODE",
)


def _frame_bits(payload: bytes, lay: Layout) -> np.ndarray:
    """Marker + (RS-coded, randomised) frame bits of ``payload`` (padded with zeros)."""
    if len(payload) > lay.frame_size:
        raise ValueError(f"this CCSDS frame carries {lay.frame_size} bytes")
    data = bytes(payload).ljust(lay.frame_size, b"\x00")
    if lay.rs:
        data = encode_frame(data, lay.interleave, lay.basis)
    if lay.scrambler:
        data = ccsds_xor(data)
    return np.unpackbits(np.frombuffer(ASM.to_bytes(4, "big") + data, dtype=np.uint8))


def _encode_plain(
    payload: bytes, options: Mapping[str, Any], preamble_bits: int, rs: bool
) -> EncodedFrame:
    lay = layout(options, rs)
    pre = np.arange(max(32, preamble_bits)) % 2
    bits = np.concatenate([pre, _frame_bits(payload, lay), np.arange(32) % 2]).astype(np.uint8)
    if lay.differential:
        bits = diff_encode(bits)
    return EncodedFrame(bits, len(pre))


def _encode_concatenated(
    payload: bytes, options: Mapping[str, Any], preamble_bits: int
) -> EncodedFrame:
    lay = layout(options, True)
    code = named_code(options["convolutional"])
    n_pre = max(32, -(-preamble_bits // 2))
    pre = np.arange(n_pre) % 2
    post = np.arange(256) % 2  # lets the receiver's Viterbi release the frame's end
    info = np.concatenate([pre, _frame_bits(payload, lay), post]).astype(np.uint8)
    if lay.differential:
        info = diff_encode(info)
    return EncodedFrame(conv_encode(info, code), 2 * n_pre)


_BLOCK_OPTIONS = (OPT_FRAME_SIZE, OPT_PRECODING, OPT_BASIS, OPT_INTERLEAVING, OPT_SCRAMBLER)


def _no_scrambler(options: Mapping[str, Any]) -> dict[str, Any]:
    return {**options, "scrambler": "none"}


FRAMINGS = (
    Framing(
        name="ccsds_rs",
        description="CCSDS Reed-Solomon: sync 0x1ACFFC1D, randomiser, RS(255,223) (131.0-B)",
        make_deframer=lambda options, invert: CcsdsDeframer(layout(options, True), invert),
        encode=lambda payload, options, pre: _encode_plain(payload, options, pre, True),
        aliases=("CCSDS Reed-Solomon",),
        options=_BLOCK_OPTIONS,
        max_payload=MAX_FRAME,
    ),
    Framing(
        name="ccsds_rs_no_scrambler",
        description="CCSDS Reed-Solomon without the randomiser: sync 0x1ACFFC1D, RS(255,223)",
        make_deframer=lambda options, invert: CcsdsDeframer(
            layout(_no_scrambler(options), True), invert
        ),
        encode=lambda payload, options, pre: _encode_plain(
            payload, _no_scrambler(options), pre, True
        ),
        aliases=("CCSDS Reed-Solomon no-scrambler",),
        options=_BLOCK_OPTIONS[:-1],
        max_payload=MAX_FRAME,
    ),
    Framing(
        name="ccsds_uncoded",
        description="CCSDS uncoded: sync 0x1ACFFC1D, randomiser, fixed-size frame, no check",
        make_deframer=lambda options, invert: CcsdsDeframer(layout(options, False), invert),
        encode=lambda payload, options, pre: _encode_plain(payload, options, pre, False),
        aliases=("CCSDS Uncoded",),
        options=(OPT_FRAME_SIZE, OPT_PRECODING, OPT_SCRAMBLER),
        max_payload=MAX_FRAME,
    ),
    Framing(
        name="ccsds_concatenated",
        description="CCSDS concatenated: K=7 r=1/2 convolutional code (soft Viterbi) + RS",
        make_deframer=lambda options, invert: ConcatenatedDeframer(
            layout(options, True), options["convolutional"], invert
        ),
        encode=_encode_concatenated,
        aliases=("CCSDS Concatenated",),
        options=(*_BLOCK_OPTIONS, OPT_CONVOLUTIONAL),
        max_payload=MAX_FRAME,
    ),
)
