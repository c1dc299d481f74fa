"""Reed-Solomon codes over GF(2^8): any field polynomial, first consecutive
root, primitive element and number of roots; the CCSDS (255,223) code with
shortening, interleaving and the dual-basis symbol representation.

A code is given as Phil Karn's ``init_rs_char`` takes it: field polynomial
(CCSDS: x^8+x^7+x^2+x+1 = 0x187), first consecutive root ``fcr``, primitive
element exponent ``prim`` and ``nroots``: the generator's roots are
alpha^(prim*(fcr+i)), i = 0..nroots-1 (CCSDS 131.0-B: fcr 112, prim 11, 32
roots). Shortened codewords (fewer than 255 symbols) are handled as virtual
leading zeros. Decoding (syndromes and Chien search vectorised with NumPy;
Berlekamp-Massey and Forney on the few coefficients) corrects up to
nroots/2 symbol errors and says None when it cannot: more errors than that
are either detected or, rarely, miscorrected to another codeword.

CCSDS frames (131.0-B section 4) carry the code in the dual ("Berlekamp")
basis; the AX100 radios and AO-40 use it in the conventional basis.
Interleaving depth I: symbol j of the frame belongs to codeword j mod I.

The module-level :func:`rs_encode` / :func:`rs_decode` are the CCSDS code in
the conventional basis (the AX100 framing's).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from sdrlink.errors import ConfigError

NN = 255
NROOTS = 32
FCR = 112
PRIM = 11
CCSDS_POLY = 0x187


class GaloisField:
    """GF(2^8) with the given field polynomial (degree 8, primitive)."""

    def __init__(self, poly: int) -> None:
        if not 0x100 <= poly < 0x200:
            raise ConfigError(f"GF(2^8) field polynomial must have degree 8, got {poly:#x}")
        exp = np.zeros(512, dtype=np.int64)
        log = np.full(256, -1, dtype=np.int64)
        v = 1
        for i in range(255):
            if log[v] >= 0:
                raise ConfigError(f"field polynomial {poly:#x} is not primitive")
            exp[i] = v
            log[v] = i
            v <<= 1
            if v & 0x100:
                v ^= poly
        exp[255:510] = exp[:255]
        self.poly = poly
        self.exp_np = exp
        self.log_np = log
        self.exp = exp.tolist()
        self.log = log.tolist()

    def mul(self, a: int, b: int) -> int:
        if a == 0 or b == 0:
            return 0
        return self.exp[self.log[a] + self.log[b]]

    def inv(self, a: int) -> int:
        return self.exp[(255 - self.log[a]) % 255]


@functools.lru_cache(maxsize=8)
def _field(poly: int) -> GaloisField:
    return GaloisField(poly)


class ReedSolomon:
    """One RS code over GF(2^8) with symbols as bytes (conventional basis)."""

    def __init__(
        self, nroots: int = NROOTS, fcr: int = FCR, prim: int = PRIM, gfpoly: int = CCSDS_POLY
    ) -> None:
        if not 0 < nroots < NN or nroots % 2:
            raise ConfigError(f"RS: number of roots must be even and 2..254, got {nroots}")
        if not 0 < prim < NN or math.gcd(prim, NN) != 1:
            raise ConfigError(f"RS: primitive element exponent {prim} must be coprime to 255")
        self.gf = gf = _field(gfpoly)
        self.nroots, self.fcr, self.prim = nroots, fcr % NN, prim
        gen = [1]  # highest degree first
        for i in range(nroots):
            root = gf.exp[(prim * (fcr + i)) % NN]
            new = [0] * (len(gen) + 1)
            for j, c in enumerate(gen):
                new[j] ^= c
                new[j + 1] ^= gf.mul(c, root)
            gen = new
        self.generator = gen
        self._root_logs = np.array([(prim * (fcr + i)) % NN for i in range(nroots)], np.int64)
        # product tables for the encoder: _gen_mul[fb] = fb * g[1..nroots]
        g = np.array(gen[1:], dtype=np.int64)
        logs = gf.log_np[np.maximum(g, 1)]
        fb = np.arange(256)
        prod = gf.exp_np[(gf.log_np[np.maximum(fb, 1)][:, None] + logs[None, :]) % NN]
        prod[0, :] = 0
        prod[:, g == 0] = 0
        self._gen_mul = prod.astype(np.uint8)

    @property
    def max_data(self) -> int:
        return NN - self.nroots

    def encode(self, data: bytes) -> bytes:
        """The ``nroots`` parity bytes of ``data`` (shorter than 255 - nroots: shortened)."""
        if len(data) > self.max_data:
            raise ValueError(f"RS(255,{self.max_data}) carries at most {self.max_data} bytes")
        reg = np.zeros(self.nroots, dtype=np.uint8)
        table = self._gen_mul
        for byte in bytes(data):
            fb = byte ^ int(reg[0])
            reg[:-1] = reg[1:]
            reg[-1] = 0
            if fb:
                reg ^= table[fb]
        return reg.tobytes()

    def syndromes(self, code: np.ndarray) -> np.ndarray:
        """S_i = c(root_i) for a codeword given highest degree first (all zero: no error)."""
        n = len(code)
        nz = np.flatnonzero(code)
        if len(nz) == 0:
            return np.zeros(self.nroots, np.int64)
        degree = (n - 1 - nz).astype(np.int64)
        logs = self.gf.log_np[code[nz].astype(np.int64)]
        terms = self.gf.exp_np[(logs[None, :] + (self._root_logs[:, None] * degree) % NN) % NN]
        return np.bitwise_xor.reduce(terms, axis=1)

    def decode(self, block: bytes) -> tuple[bytes, int] | None:
        """Correct a (possibly shortened) codeword: data + nroots parity bytes.

        Returns (data without parity, number of corrected bytes), or None when
        the errors exceed what the code can correct (detected failure).
        """
        n = len(block)
        if not self.nroots < n <= NN:
            return None
        code = np.frombuffer(bytes(block), dtype=np.uint8)
        synd_np = self.syndromes(code)
        if not synd_np.any():
            return bytes(block[: n - self.nroots]), 0
        fixed = self._correct(bytes(block), synd_np.tolist())
        if fixed is None:
            return None
        data, count = fixed
        return data[: n - self.nroots], count

    def _correct(self, block: bytes, synd: list[int]) -> tuple[bytes, int] | None:
        gf, nroots = self.gf, self.nroots
        mul, exp, log = gf.mul, gf.exp, gf.log
        n = len(block)
        # Berlekamp-Massey: error locator sigma(x), lowest degree first
        sigma = [1] + [0] * nroots
        prev = [1] + [0] * nroots
        length, m, b = 0, 1, 1
        for k in range(nroots):
            d = synd[k]
            for i in range(1, length + 1):
                if sigma[i] and synd[k - i]:
                    d ^= exp[log[sigma[i]] + log[synd[k - i]]]
            if d == 0:
                m += 1
                continue
            coef = mul(d, gf.inv(b))
            new = sigma[:]
            for i in range(nroots + 1 - m):
                if prev[i]:
                    new[i + m] ^= mul(coef, prev[i])
            if 2 * length <= k:
                prev, length, b, m = sigma, k + 1 - length, d, 1
            else:
                m += 1
            sigma = new
        if length > nroots // 2 or any(sigma[length + 1 :]):
            return None
        # Chien search over this block's positions: position p (0 = first byte) has
        # degree n-1-p and locator X = alpha^(prim*deg); find the roots X^-1 of sigma
        degs = np.arange(n - 1, -1, -1, dtype=np.int64)
        xinv_log = (-self.prim * degs) % NN
        val = np.zeros(n, dtype=np.int64)
        for i, c in enumerate(sigma[: length + 1]):
            if c:
                val ^= gf.exp_np[(log[c] + xinv_log * i) % NN]
        positions = np.flatnonzero(val == 0).tolist()
        if len(positions) != length:
            return None  # roots in the virtual fill or outside the field: uncorrectable
        # Forney: omega = S(x) * sigma(x) mod x^nroots; e = X^(1-fcr) omega(X^-1) / sigma'(X^-1)
        omega = [0] * nroots
        for i in range(nroots):
            acc = 0
            for j in range(min(i, length) + 1):
                if sigma[j] and synd[i - j]:
                    acc ^= exp[log[sigma[j]] + log[synd[i - j]]]
            omega[i] = acc
        fixed = bytearray(block)
        for p in positions:
            xl = (self.prim * (n - 1 - p)) % NN
            xinv = (NN - xl) % NN
            num = 0
            for i, c in enumerate(omega):
                if c:
                    num ^= exp[(log[c] + xinv * i) % NN]
            den = 0
            for i in range(1, length + 1, 2):
                if sigma[i]:
                    den ^= exp[(log[sigma[i]] + xinv * (i - 1)) % NN]
            if den == 0 or num == 0:
                return None
            fixed[p] ^= mul(mul(num, gf.inv(den)), exp[(xl * (1 - self.fcr)) % NN])
        if self.syndromes(np.frombuffer(bytes(fixed), dtype=np.uint8)).any():
            return None
        return bytes(fixed), len(positions)


#: the CCSDS (255,223) code (CCSDS 131.0-B section 4), conventional basis
CCSDS_RS = ReedSolomon()
GENERATOR = CCSDS_RS.generator
EXP = CCSDS_RS.gf.exp
LOG = CCSDS_RS.gf.log


# --- dual basis (CCSDS 131.0-B annex F) -----------------------------------------------

#: rows of the transformation from the conventional to the dual basis, for the
#: conventional bits u0 (MSB) .. u7: dual byte = XOR of the rows of the set bits
_T_ROWS = (0x8D, 0xEF, 0xEC, 0x86, 0xFA, 0x99, 0xAF, 0x7B)


def _dual_tables() -> tuple[np.ndarray, np.ndarray]:
    to_dual = np.zeros(256, dtype=np.uint8)
    for a in range(256):
        z = 0
        for i, row in enumerate(_T_ROWS):
            if a & (0x80 >> i):
                z ^= row
        to_dual[a] = z
    from_dual = np.zeros(256, dtype=np.uint8)
    from_dual[to_dual] = np.arange(256, dtype=np.uint8)
    if len(set(to_dual.tolist())) != 256:  # pragma: no cover - a wrong table
        raise AssertionError("dual-basis transform is not invertible")
    return to_dual, from_dual


TO_DUAL, FROM_DUAL = _dual_tables()


def to_dual(data: bytes) -> bytes:
    """Conventional-basis symbols to the CCSDS dual basis."""
    return TO_DUAL[np.frombuffer(bytes(data), dtype=np.uint8)].tobytes()


def from_dual(data: bytes) -> bytes:
    """CCSDS dual-basis symbols to the conventional basis."""
    return FROM_DUAL[np.frombuffer(bytes(data), dtype=np.uint8)].tobytes()


# --- CCSDS frames: interleaving and basis ----------------------------------------------

BASES = ("conventional", "dual")


def _check_layout(data_len: int, interleave: int, code: ReedSolomon) -> int:
    if not 1 <= interleave <= 8:
        raise ConfigError(f"RS interleaving depth must be 1..8, got {interleave}")
    if data_len <= 0 or data_len % interleave:
        raise ConfigError(
            f"RS frame of {data_len} data bytes does not split into {interleave} codewords"
        )
    per = data_len // interleave
    if per > code.max_data:
        raise ConfigError(
            f"RS frame of {data_len} bytes needs more than {interleave} codeword(s) "
            f"of {code.max_data} data bytes"
        )
    return per


def encode_frame(
    data: bytes, interleave: int = 1, basis: str = "conventional", code: ReedSolomon = CCSDS_RS
) -> bytes:
    """``data`` followed by the parity of ``interleave`` interleaved codewords
    (CCSDS 131.0-B 4.3: byte j belongs to codeword j mod I), in ``basis``."""
    if basis not in BASES:
        raise ConfigError(f"RS basis must be conventional or dual, got {basis!r}")
    _check_layout(len(data), interleave, code)
    raw = from_dual(data) if basis == "dual" else bytes(data)
    arr = np.frombuffer(raw, dtype=np.uint8)
    parity = np.zeros((code.nroots, interleave), dtype=np.uint8)
    for i in range(interleave):
        parity[:, i] = np.frombuffer(code.encode(arr[i::interleave].tobytes()), np.uint8)
    par = parity.ravel().tobytes()
    return bytes(data) + (to_dual(par) if basis == "dual" else par)


def decode_frame(
    frame: bytes, interleave: int = 1, basis: str = "conventional", code: ReedSolomon = CCSDS_RS
) -> tuple[bytes, list[int]] | None:
    """Correct a frame of ``interleave`` interleaved (shortened) codewords.

    Returns (data without parity, corrected bytes per codeword), or None when
    any codeword is beyond correction.
    """
    if basis not in BASES:
        raise ConfigError(f"RS basis must be conventional or dual, got {basis!r}")
    nparity = code.nroots * interleave
    if len(frame) <= nparity:
        return None
    _check_layout(len(frame) - nparity, interleave, code)
    raw = from_dual(frame) if basis == "dual" else bytes(frame)
    arr = np.frombuffer(raw, dtype=np.uint8)
    out = np.empty(len(frame) - nparity, dtype=np.uint8)
    counts = []
    for i in range(interleave):
        res = code.decode(arr[i::interleave].tobytes())
        if res is None:
            return None
        out[i::interleave] = np.frombuffer(res[0], dtype=np.uint8)
        counts.append(res[1])
    data = out.tobytes()
    if basis == "dual":
        if not any(counts):
            return bytes(frame[: len(out)]), counts
        data = to_dual(data)
    return data, counts


def rs_encode(data: bytes) -> bytes:
    """The 32 parity bytes of ``data`` (CCSDS code, conventional basis; <= 223 bytes)."""
    return CCSDS_RS.encode(data)


def read_long(code: ReedSolomon, word: bytes, data: bytes, corrected: int) -> bool:
    """Whether decoding ``word`` to ``data`` with ``corrected`` corrections looks
    like a shorter codeword read too long (a wrong length field).

    x^k c(x) is a codeword whenever c(x) is, so a codeword read k bytes long plus
    junk decodes, to a codeword ending in zeros, with the junk "corrected". A
    decoding that corrected its last byte to zero is taken for that when the
    word one byte shorter is a codeword too (found by ``benchmarks/fuzz.py``).
    """
    if not corrected or word[-1] == 0 or code.encode(data)[-1] != 0:
        return False
    return code.decode(word[:-1]) is not None


def rs_decode(block: bytes) -> tuple[bytes, int] | None:
    """Correct a (possibly shortened) CCSDS codeword, conventional basis: data + 32
    parity bytes. Returns (data, corrected bytes) or None beyond 16 errors."""
    return CCSDS_RS.decode(block)
