"""Rate-1/2 convolutional codes: encoder facts, soft Viterbi BER, streaming."""

from __future__ import annotations

import numpy as np
import pytest

from sdrlink._ext import viterbi as vit
from sdrlink.coding.convolutional import (
    CCSDS,
    NAMED_CODES,
    ConvCode,
    ViterbiStream,
    channel_errors,
    conv_encode,
    named_code,
    viterbi_block,
)
from sdrlink.errors import ConfigError


def _bits(word: str) -> list[int]:
    return [int(c) for c in word]


def test_ccsds_impulse_response_is_the_blue_book_generators():
    # CCSDS 131.0-B: G1 = 1111001, G2 = 1011011 (connection vectors, newest bit first),
    # G2's symbol inverted, G1's first
    out = conv_encode(np.array([1, 0, 0, 0, 0, 0, 0, 0], np.uint8), CCSDS)
    g1, g2 = _bits("11110010"), _bits("10110110")
    assert out[0::2].tolist() == g1
    assert out[1::2].tolist() == [1 - b for b in g2]
    # NASA-DSN: the same code with the two symbols of each pair swapped
    swapped = conv_encode(np.array([1, 0, 1, 1, 0, 0, 1, 0], np.uint8), named_code("NASA-DSN"))
    ccsds = conv_encode(np.array([1, 0, 1, 1, 0, 0, 1, 0], np.uint8), CCSDS)
    assert swapped.reshape(-1, 2)[:, ::-1].tolist() == ccsds.reshape(-1, 2).tolist()


def _reference_encode(bits, k, taps_lsb, invert, state=0):
    """Bit-by-bit encoder with the newest bit in the LSB (the textbook loop)."""
    out = []
    reg = state
    for b in bits:
        reg = ((reg << 1) | int(b)) & ((1 << k) - 1)
        for tap, inv in zip(taps_lsb, invert, strict=True):
            out.append((bin(reg & tap).count("1") & 1) ^ int(inv))
    return out


@pytest.mark.parametrize(
    "code", [CCSDS, *NAMED_CODES.values(), ConvCode(5, (0o23, 0o35), (True, False))]
)
def test_numpy_encoder_matches_the_bitwise_loop(rng, code):
    bits = rng.integers(0, 2, 300).astype(np.uint8)
    state = int(rng.integers(0, 1 << (code.k - 1)))
    want = _reference_encode(bits, code.k, code.taps, code.invert, state)
    assert conv_encode(bits, code, state).tolist() == want


def _noisy(rng, bits, code, ebn0_db, hard=False):
    ch = conv_encode(bits, code)
    sigma = np.sqrt(1 / (10 ** (ebn0_db / 10)))  # rate 1/2: Es/N0 = Eb/N0 / 2
    soft = ((2.0 * ch - 1) + rng.normal(0, sigma, len(ch))).astype(np.float32)
    return np.sign(soft) if hard else soft


def _stream_ber(rng, ebn0_db, n, hard=False):
    bits = rng.integers(0, 2, n).astype(np.uint8)
    soft = _noisy(rng, bits, CCSDS, ebn0_db, hard)
    dec = ViterbiStream(CCSDS)
    got = np.concatenate([dec.process(soft), dec.flush()])
    assert len(got) == n
    return np.count_nonzero(got != bits) / n


def test_soft_ber_follows_the_known_k7_curve():
    # unquantised soft-decision K=7 r=1/2 over AWGN: about 3e-4 at 3 dB and
    # 1e-5 near 4.2-4.4 dB Eb/N0 (measured here: 3.0e-4, 2.0e-5 at 4.0, 4e-6 at 4.5)
    rng = np.random.default_rng(11)
    assert 1.5e-4 < _stream_ber(rng, 3.0, 400_000) < 5e-4
    assert 3e-6 < _stream_ber(rng, 4.3, 3_000_000) < 2e-5


def test_soft_decisions_gain_about_two_db_over_hard():
    rng = np.random.default_rng(12)
    soft = _stream_ber(rng, 4.0, 2_000_000)
    hard = _stream_ber(rng, 6.0, 2_000_000, hard=True)
    assert soft > 0 and hard > 0
    assert 1 / 3 < hard / soft < 3  # the same BER 2 dB apart
    assert _stream_ber(rng, 4.0, 2_000_000, hard=True) > 30 * soft


def test_stream_output_does_not_depend_on_block_cuts(rng):
    bits = rng.integers(0, 2, 5000).astype(np.uint8)
    soft = _noisy(rng, bits, CCSDS, 2.0)
    one = ViterbiStream(CCSDS)
    whole = np.concatenate([one.process(soft), one.flush()])
    for sizes in ([1], [3, 1, 7], [127, 2], [1000, 1]):
        dec = ViterbiStream(CCSDS)
        parts, pos, i = [], 0, 0
        while pos < len(soft):
            step = sizes[i % len(sizes)]
            parts.append(dec.process(soft[pos : pos + step]))
            pos += step
            i += 1
        parts.append(dec.flush())
        np.testing.assert_array_equal(np.concatenate(parts), whole)
    assert np.count_nonzero(whole != bits) < 40  # and it decodes (BER ~5e-3 at 2 dB)


def test_stream_releases_bits_with_bounded_lag(rng):
    dec = ViterbiStream(CCSDS, depth=96, every=64)
    out = dec.process(np.ones(2 * 1000, np.float32))
    assert 1000 - 96 - 64 <= len(out) <= 1000 - 96
    assert dec.emitted == len(out) and dec.steps == 1000


@pytest.mark.parametrize("name", list(NAMED_CODES))
def test_every_named_variant_round_trips_and_they_differ(rng, name):
    code = NAMED_CODES[name]
    bits = np.concatenate([rng.integers(0, 2, 2000), np.zeros(6)]).astype(np.uint8)
    soft = _noisy(rng, bits, code, 3.5)
    assert np.count_nonzero(viterbi_block(soft, code) != bits) <= 2
    for other_name, other in NAMED_CODES.items():
        if other_name != name:
            assert np.count_nonzero(viterbi_block(soft, other) != bits) > 200


def test_block_decoder_start_and_end_states(rng):
    code = CCSDS
    bits = rng.integers(0, 2, 400).astype(np.uint8)
    state = 0b101101
    # started mid-stream: only "any start state" finds the right path from the first bit
    ch = conv_encode(bits, code, state)
    soft = (2.0 * ch - 1).astype(np.float32)
    np.testing.assert_array_equal(viterbi_block(soft, code, None, False), bits)
    assert np.count_nonzero(viterbi_block(soft, code, 0, False)[:6] != bits[:6]) > 0
    # terminated: the tail forces state 0 at the end, even with the last symbols erased
    tailed = np.concatenate([bits, np.zeros(6, np.uint8)])
    soft = (2.0 * conv_encode(tailed, code) - 1).astype(np.float32)
    soft[-12:] = 0.0
    np.testing.assert_array_equal(viterbi_block(soft, code, 0, True), tailed)


def test_inverted_symbols_decode_to_the_complement(rng):
    # both CCSDS generators have odd weight: a polarity flip complements the data
    bits = rng.integers(0, 2, 3000).astype(np.uint8)
    soft = _noisy(rng, bits, CCSDS, 4.0)
    dec = ViterbiStream(CCSDS)
    inv = np.concatenate([dec.process(-soft), dec.flush()])
    assert np.count_nonzero(inv[10:] != 1 - bits[10:]) < 10


def test_channel_errors_counts_corrected_symbols(rng):
    bits = np.concatenate([rng.integers(0, 2, 500), np.zeros(6)]).astype(np.uint8)
    soft = (2.0 * conv_encode(bits, CCSDS) - 1).astype(np.float32)
    flips = rng.choice(len(soft), 15, replace=False)
    soft[flips] *= -0.5
    dec = viterbi_block(soft, CCSDS)
    np.testing.assert_array_equal(dec, bits)
    assert channel_errors(soft, dec, CCSDS) == 15


def test_general_generators_take_the_slow_path_and_still_decode(rng):
    code = ConvCode(7, (0o170, 0o133))  # G1 lacks the newest-bit tap: no butterfly symmetry
    assert not vit.is_antipodal(code.k, code.out_table())
    assert vit.is_antipodal(CCSDS.k, CCSDS.out_table())
    bits = np.concatenate([rng.integers(0, 2, 1000), np.zeros(6)]).astype(np.uint8)
    soft = _noisy(rng, bits, code, 6.0)
    assert np.count_nonzero(viterbi_block(soft, code) != bits) <= 2
    k9 = ConvCode(9, (0o753, 0o561))
    bits = np.concatenate([rng.integers(0, 2, 1000), np.zeros(8)]).astype(np.uint8)
    assert np.count_nonzero(viterbi_block(_noisy(rng, bits, k9, 4.0), k9) != bits) <= 2


def test_bad_codes_are_refused():
    with pytest.raises(ConfigError, match="constraint length"):
        ConvCode(10, (0o1, 0o3))
    with pytest.raises(ConfigError, match="generator"):
        ConvCode(3, (0o17, 0o5))
    with pytest.raises(ConfigError, match="NASA-DSN"):
        named_code("CCSDS-ish")
    assert named_code("  nasa-dsn   UNINVERTED ") == NAMED_CODES["nasa-dsn uninverted"]


def test_non_finite_symbols_are_erasures_not_poison(rng):
    bits = rng.integers(0, 2, 3000).astype(np.uint8)
    soft = _noisy(rng, bits, CCSDS, 5.0)
    soft[100:110] = np.nan
    soft[200] = np.inf
    soft[300] = -np.inf
    soft[400] = 3e38
    dec = ViterbiStream(CCSDS)
    got = np.concatenate([dec.process(soft[:1500]), dec.process(soft[1500:]), dec.flush()])
    assert np.count_nonzero(got[250:] != bits[250:]) <= 2
    block = viterbi_block(np.concatenate([soft, np.zeros(12, np.float32)]), CCSDS, None, False)
    assert np.count_nonzero(block[250:3000] != bits[250:]) <= 2
