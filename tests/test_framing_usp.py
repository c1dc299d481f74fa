"""USP framing: sync word, PLS, K=7 code, randomiser, dual-basis RS, AX.25 inside."""

from __future__ import annotations

import numpy as np
import pytest
from misc_framing_util import FS, deframe, encode_bits, iq_bursts, noise_iq, receive, soft_of

from sdrlink.errors import ConfigError
from sdrlink.framing import usp
from sdrlink.framing.ax25 import ui_frame

OPTS = {"modulation": "fsk", "baud": 9600, "framing": "USP"}


def frame(rng, n: int) -> bytes:
    return ui_frame("RS0S", "RS7S", rng.integers(0, 256, n, dtype=np.uint8).tobytes())


def test_pls_codes():
    assert int(np.count_nonzero(usp.PLS[48] != usp.PLS[223])) == 32
    noisy = usp.PLS[223].copy()
    noisy[:12] ^= 1
    assert usp.data_len(noisy) == 223 and usp.data_len(usp.PLS[48]) == 48


@pytest.mark.parametrize("n", [10, 150])
@pytest.mark.parametrize("flip", [1, -1])
def test_deframer_soft_decoding(n, flip, rng):
    payload = frame(rng, n)
    enc = encode_bits("usp", payload)
    # sigma 0.75: about 9 % of the hard decisions wrong (and a few sync word bits)
    soft = flip * soft_of(enc.bits, rng, sigma=0.75)
    frames = deframe("usp", soft, block=700)
    assert [f.payload for f in frames] == [payload]
    f = frames[0]
    assert f.fields["usp_data_len"] == (48 if n == 10 else 223)
    assert f.fields["src"] == "RS7S" and f.fields["inverted"] is (flip < 0)
    assert 0.05 < f.fields["viterbi_errors"] / (16 * (f.fields["usp_data_len"] + 32)) < 0.13


def test_encoder_limits():
    with pytest.raises(ConfigError):
        encode_bits("usp", bytes(220))


@pytest.mark.parametrize("snr,cfo", [(4, 0), (5, -2500)])
def test_fsk_roundtrip(snr, cfo, rng):
    payloads = [frame(rng, 20), frame(rng, 180)]
    frames = receive(OPTS, iq_bursts(OPTS, payloads, snr, cfo, rng), FS)
    assert [f.payload for f in frames] == payloads


def test_block_size_independent(rng):
    payloads = [frame(rng, 30), frame(rng, 100)]
    x = iq_bursts(OPTS, payloads, 8, 400, rng)
    runs = [[(f.sample_index, f.payload) for f in receive(OPTS, x, FS, bs)] for bs in (999, 65536)]
    assert len(runs[0]) == 2 and runs[0] == runs[1]


def test_noise_gives_no_frame(rng):
    assert receive(OPTS, noise_iq(rng), FS) == []
    assert deframe("usp", rng.standard_normal(300_000).astype(np.float32)) == []
