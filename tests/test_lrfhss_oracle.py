"""Round trips with the independent ``lrfhss`` package (PyPI, MIT): its encoder into our
receiver, told nothing, and our modulator into its receiver, told the configuration.

Its encoder writes copy index 0 into every header copy (Semtech devices count
down to 0), so these packets also check that the receiver finds which copy it
holds without trusting the index.
"""

from __future__ import annotations

import contextlib
import io

import lrfhss
import numpy as np
import pytest
from lrfhss import config

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.channel import add_noise, apply_offset
from sdrlink.protocols.lrfhss import LrFhssParams, make_receiver, modulate

BW_KHZ = (39.06, 85.94, 136.72, 183.59, 335.94, 386.72, 722.66, 773.44, 1523.4, 1574.2)
CR_TEXT = {0: "5/6", 1: "2/3", 2: "1/2", 3: "1/3"}


def _cases():
    """Every channel width, coding rate and grid the package supports; varied copies,
    hop sequences and lengths (long payloads on the narrower channels, where they are
    quick to simulate)."""
    rng = np.random.default_rng(15)
    lengths = [1, 7, 16, 51, 120, 255]
    out = []
    for bw in range(10):
        for cr in range(4):
            for grid in (1, 0) if bw >= 6 else (1,):
                hc = int(rng.integers(1, 5))
                limit = 384 if grid == 0 or bw < 4 else 512
                hop = int(rng.integers(0, min(limit, 384)))  # the package: < 384 at 137 kHz
                length = lengths[(bw + cr + grid) % len(lengths)]
                if bw >= 8 and length > 51:
                    length = 16
                out.append((bw, cr, grid, hc, hop, length))
    return out


def _run(x: np.ndarray, fs: float, block: int = 1 << 16, options: dict | None = None):
    rx = make_receiver(options or {}, StreamInfo(sample_rate=fs))
    frames = []
    for s in range(0, len(x), block):
        frames += rx.process(SampleBlock(x[s : s + block], s))
    return frames + rx.flush()


@pytest.mark.parametrize(("bw", "cr", "grid", "hc", "hop", "length"), _cases())
def test_packets_from_the_independent_encoder_decode_blind(bw, cr, grid, hc, hop, length):
    rng = np.random.default_rng([bw, cr, grid, hop])
    payload = bytes(rng.integers(0, 256, length, dtype=np.uint8))
    config.retune(BW_KHZ[bw] * 1e3)
    iq, meta = lrfhss.encode(
        payload, bw_khz=BW_KHZ[bw], CR=cr, header_count=hc, grid=grid, hop_seq_id=hop
    )
    fs = meta["fs"]
    x = np.concatenate([np.zeros(int(0.3 * fs)), iq, np.zeros(int(0.4 * fs))])
    x = apply_offset(x.astype(np.complex64), fs, float(rng.uniform(-3e3, 3e3)))
    x = add_noise(x, 12.0, 488.28125, fs, rng, signal_power=1.0)
    frames = [f for f in _run(x, fs) if f.crc_ok]
    assert [f.payload for f in frames] == [payload]
    f = frames[0].fields
    assert (f["cr"], f["hop_seq_id"], len(frames[0].payload)) == (CR_TEXT[cr], hop, length)
    assert f["ocw_hz"] == pytest.approx(BW_KHZ[bw] * 1e3, rel=1e-3)
    assert f["header_copies"] == hc
    assert f["fragments"] == f"{meta['num_frags']}/{meta['num_frags']}"


def test_packets_from_the_independent_encoder_by_data_rate():
    for region, dr in (("EU868", 8), ("EU868", 11), ("US915", 6)):
        payload = f"{region} DR{dr}".encode()
        spec = config.retune_dr(dr, region)
        iq, meta = lrfhss.encode(payload, dr=dr, region=region, hop_seq_id=33)
        fs = meta["fs"]
        x = np.concatenate([np.zeros(int(0.3 * fs)), iq, np.zeros(int(0.4 * fs))])
        x = add_noise(x.astype(np.complex64), 12.0, 488.28125, fs, np.random.default_rng(dr))
        got = [f for f in _run(x, fs, options={"dr": dr, "region": region}) if f.crc_ok]
        assert [f.payload for f in got] == [payload], (region, dr, spec)


@pytest.mark.parametrize(
    ("bw", "cr", "grid", "hc", "length", "fs"),
    [
        (2, 3, 1, 3, 16, 250e3),  # EU868 DR8
        (4, 1, 1, 2, 51, 500e3),  # EU868 DR11
        (0, 0, 1, 1, 7, 62.5e3),  # narrowest channel, CR 5/6, one header copy
        (6, 2, 1, 4, 1, 1e6),  # four header copies, CR 1/2
        (8, 3, 0, 3, 16, 2e6),  # US915 DR5, 25.4 kHz grid
    ],
)
def test_our_modulator_decodes_in_the_independent_receiver(bw, cr, grid, hc, length, fs):
    rng = np.random.default_rng([bw, cr, length])
    p = LrFhssParams(bw=bw, cr=cr, grid=grid, header_count=hc, hop_seq_id=int(rng.integers(384)))
    payload = bytes(rng.integers(0, 256, length, dtype=np.uint8))
    x = np.concatenate([np.zeros(int(0.3 * fs)), modulate(p, payload, fs), np.zeros(int(0.3 * fs))])
    x = add_noise(x.astype(np.complex64), 20.0, 488.28125, fs, rng, signal_power=1.0)
    config.retune(BW_KHZ[bw] * 1e3, hdr_count=hc, fs_capture=fs)
    with contextlib.redirect_stdout(io.StringIO()):
        res = lrfhss.decode(x.astype(complex))
    got = [bytes(r["bytes"]) for r in res if isinstance(r, dict) and r.get("crc")]
    assert got == [payload]
    assert res[0]["header"]["hop"] == 1 and res[0]["header"]["CRCpass"]
