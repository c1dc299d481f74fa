"""Reed-Solomon (255,223) with the CCSDS code parameters, conventional basis.

GF(2^8) with field polynomial x^8+x^7+x^2+x+1 (0x187), generator roots
alpha^(11*(112+i)), i = 0..31 (first consecutive root 112, primitive element
alpha^11): the code of Phil Karn's ``encode_rs_8``/``decode_rs_8``, which the
AX100 ASM+Golay mode uses *without* the CCSDS dual-basis conversion. Shortened
codes are handled by virtual leading zeros. Decoding: syndromes, Berlekamp-
Massey, Chien search and Forney, correcting up to 16 byte errors.
"""

from __future__ import annotations

import numpy as np

NN = 255
NROOTS = 32
FCR = 112
PRIM = 11
_POLY = 0x187

_EXP = np.zeros(512, dtype=np.int64)
_LOG = np.zeros(256, dtype=np.int64)
_v = 1
for _i in range(255):
    _EXP[_i] = _v
    _LOG[_v] = _i
    _v <<= 1
    if _v & 0x100:
        _v ^= _POLY
_EXP[255:510] = _EXP[:255]
_LOG[0] = -1  # log of zero is undefined; never used as such
EXP = _EXP.tolist()
LOG = _LOG.tolist()


def _mul(a: int, b: int) -> int:
    if a == 0 or b == 0:
        return 0
    return EXP[(LOG[a] + LOG[b]) % 255]


def _inv(a: int) -> int:
    return EXP[(255 - LOG[a]) % 255]


# generator polynomial, highest degree first
_gen = [1]
for _i in range(NROOTS):
    _root = EXP[(PRIM * (FCR + _i)) % 255]
    _new = [0] * (len(_gen) + 1)
    for _j, _c in enumerate(_gen):
        _new[_j] ^= _c
        _new[_j + 1] ^= _mul(_c, _root)
    _gen = _new
GENERATOR = _gen
# roots as exponents, and the power table for the vectorised syndromes
_ROOT_LOGS = np.array([(PRIM * (FCR + i)) % 255 for i in range(NROOTS)], dtype=np.int64)


def rs_encode(data: bytes) -> bytes:
    """The 32 parity bytes of ``data`` (at most 223 bytes; shorter = shortened code)."""
    if len(data) > NN - NROOTS:
        raise ValueError("RS(255,223) carries at most 223 data bytes")
    reg = [0] * NROOTS
    for byte in data:
        fb = byte ^ reg[0]
        reg = reg[1:] + [0]
        if fb:
            for j in range(NROOTS):
                reg[j] ^= _mul(GENERATOR[j + 1], fb)
    return bytes(reg)


def _syndromes(code: np.ndarray) -> list[int]:
    """S_i = c(root_i) with c given highest degree first (length n <= 255)."""
    n = len(code)
    nz = np.flatnonzero(code)
    if len(nz) == 0:
        return [0] * NROOTS
    degree = (n - 1 - nz).astype(np.int64)
    logs = _LOG[code[nz].astype(np.int64)]
    terms = _EXP[(logs[None, :] + (_ROOT_LOGS[:, None] * degree[None, :]) % 255) % 255]
    return np.bitwise_xor.reduce(terms, axis=1).tolist()


def rs_decode(block: bytes) -> tuple[bytes, int] | None:
    """Correct a (possibly shortened) codeword: data+32 parity bytes.

    Returns (corrected data without parity, number of corrected bytes), or None
    when the errors exceed the code's capacity (detected failure).
    """
    n = len(block)
    if not NROOTS < n <= NN:
        return None
    code = np.frombuffer(bytes(block), dtype=np.uint8)
    synd = _syndromes(code)
    if not any(synd):
        return bytes(block[: n - NROOTS]), 0
    # Berlekamp-Massey: error locator sigma(x), lowest degree first
    sigma = [1] + [0] * NROOTS
    prev = [1] + [0] * NROOTS
    length, m, b = 0, 1, 1
    for k in range(NROOTS):
        d = synd[k]
        for i in range(1, length + 1):
            d ^= _mul(sigma[i], synd[k - i])
        if d == 0:
            m += 1
            continue
        coef = _mul(d, _inv(b))
        new = sigma[:]
        for i in range(NROOTS + 1 - m):
            new[i + m] ^= _mul(coef, prev[i])
        if 2 * length <= k:
            prev, length, b, m = sigma, k + 1 - length, d, 1
        else:
            m += 1
        sigma = new
    if length > NROOTS // 2:
        return None
    # Chien search over the positions of this (shortened) block. Position p
    # (0 = first byte) has degree n-1-p; its locator is X = alpha^(PRIM*deg).
    sig = np.array(sigma[: length + 1], dtype=np.int64)
    degs = np.arange(n, dtype=np.int64)[::-1]  # degree of each position
    xinv_log = (-PRIM * degs) % 255
    val = np.zeros(n, dtype=np.int64)
    for i, c in enumerate(sig.tolist()):
        if c:
            val ^= _EXP[(LOG[c] + xinv_log * i) % 255]
    positions = np.flatnonzero(val == 0)
    if len(positions) != length:
        return None
    # Forney: omega = S(x) * sigma(x) mod x^NROOTS
    omega = [0] * NROOTS
    for i in range(NROOTS):
        acc = 0
        for j in range(min(i, length) + 1):
            acc ^= _mul(sigma[j], synd[i - j])
        omega[i] = acc
    fixed = bytearray(block)
    for p in positions.tolist():
        deg = n - 1 - p
        xl = (PRIM * deg) % 255  # log of X
        xinv = (255 - xl) % 255
        num = 0
        for i, c in enumerate(omega):
            if c:
                num ^= EXP[(LOG[c] + xinv * i) % 255]
        den = 0  # sigma'(X^-1): odd terms
        for i in range(1, length + 1, 2):
            if sigma[i]:
                den ^= EXP[(LOG[sigma[i]] + xinv * (i - 1)) % 255]
        if den == 0:
            return None
        # e = X^(1-FCR) * omega(X^-1) / sigma'(X^-1)
        mag = _mul(_mul(num, _inv(den)), EXP[(xl * (1 - FCR)) % 255])
        fixed[p] ^= mag
    if any(_syndromes(np.frombuffer(bytes(fixed), dtype=np.uint8))):
        return None
    return bytes(fixed[: n - NROOTS]), len(positions)
