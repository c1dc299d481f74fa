"""LR-FHSS hop sequences: the LFSR generator and the hop frequencies.

Facts from Semtech's driver (``lr_fhss_mac.c``, ``sx126x_lr_fhss.c``), coded
here from scratch. An operating channel of ``CHANNEL_COUNT[bw]`` slots of
488.28 Hz holds ``n_grid`` hop positions, 8 slots (3.906 kHz) or 52 slots
(25.39 kHz) apart. The 9-bit hop-sequence id picks an LFSR polynomial (its
high bits) and an XOR seed (its low bits); each hop clocks the LFSR until
``seed ^ state`` (or the seed itself when they are equal) lands in
``1..n_grid``. The first ``4 - header_count`` outputs are skipped, so the
payload always starts on the 5th output whatever the number of header copies.

The transmitted frequency of hop position ``n`` (centred: ``n`` or
``n - n_grid``) is ``centre - n * grid - (device_offset + grid_offset) * 488.28``
with ``grid_offset = (1 + n_grid % 2) * slots_per_grid / 2``; header hops with
an even number of copies still to come (counting this one) are raised by
half a slot, 244.14 Hz.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from sdrlink.errors import ConfigError

BIT_RATE = 500e3 / 1024  # 488.28125 bit/s, also the width of one frequency slot
CHANNEL_COUNT = (80, 176, 280, 376, 688, 792, 1480, 1584, 3120, 3224)
GRID_SLOTS = {0: 52, 1: 8}  # grid code -> slots per grid step (25.39 kHz, 3.906 kHz)

_POLY_A = (33, 45, 48, 51, 54, 57)  # n_grid in {10, 22, 28, 30, 35, 47, 60, 62}
_POLY_B = (65, 68, 71, 72)  # n_grid in {86, 99}
_POLY_C = (142, 149)  # n_grid in {185, 198}
_POLY_D = 264  # n_grid in {390, 403}


def ocw_hz(bw: int) -> float:
    """Operating channel width of bandwidth code ``bw`` (39.06 kHz .. 1.574 MHz)."""
    return CHANNEL_COUNT[bw] * BIT_RATE


def grid_hz(grid: int) -> float:
    """Hop grid step of grid code ``grid``: 25390.625 Hz (0) or 3906.25 Hz (1)."""
    return GRID_SLOTS[grid] * BIT_RATE


def n_grid(bw: int, grid: int) -> int:
    """Hop positions in the channel."""
    return CHANNEL_COUNT[bw] // GRID_SLOTS[grid]


def hop_sequence_count(bw: int, grid: int) -> int:
    """Valid hop-sequence ids: 384 or 512."""
    return 384 if grid == 0 or bw < 4 else 512


def valid_config(bw: int, grid: int) -> bool:
    """Whether a channel width and grid can be combined (the 25 kHz grid needs >= 723 kHz)."""
    return 0 <= bw < len(CHANNEL_COUNT) and grid in GRID_SLOTS and (grid == 1 or bw >= 6)


@dataclass(frozen=True)
class _HopParams:
    n_grid: int
    poly: int
    seed: int
    state: int


def _hop_params(bw: int, grid: int, hop_id: int) -> _HopParams:
    if not valid_config(bw, grid):
        raise ConfigError(f"LR-FHSS grid {grid} cannot be used with bandwidth code {bw}")
    if not 0 <= hop_id < hop_sequence_count(bw, grid):
        raise ConfigError(
            f"LR-FHSS hop sequence id {hop_id} out of range 0..{hop_sequence_count(bw, grid) - 1}"
        )
    ng = n_grid(bw, grid)
    if ng in (10, 22, 28, 30, 35, 47):
        return _HopParams(ng, _POLY_A[hop_id >> 6], hop_id & 0x3F, 6)
    if ng in (60, 62):
        return _HopParams(ng, _POLY_A[hop_id >> 6], hop_id & 0x3F, 56)
    if ng in (86, 99):
        return _HopParams(ng, _POLY_B[hop_id >> 7], hop_id & 0x7F, 6)
    if ng in (185, 198):
        return _HopParams(ng, _POLY_C[hop_id >> 8], hop_id & 0xFF, 6)
    return _HopParams(ng, _POLY_D, hop_id, 6)


@lru_cache(maxsize=4096)
def hop_positions(bw: int, grid: int, hop_id: int, n: int) -> tuple[int, ...]:
    """The first ``n`` LFSR outputs (hop positions 0..n_grid-1) of a sequence."""
    p = _hop_params(bw, grid, hop_id)
    state = p.state
    out: list[int] = []
    while len(out) < n:
        lsb = state & 1
        state >>= 1
        if lsb:
            state ^= p.poly
        hop = p.seed ^ state if p.seed != state else p.seed
        if hop <= p.n_grid:
            out.append(hop - 1)
    return tuple(out)


def hop_offsets(
    bw: int,
    grid: int,
    hop_id: int,
    header_count: int,
    n_frags: int,
    hopping: bool = True,
    device_offset: int = 0,
) -> np.ndarray:
    """Frequency of every hop (headers, then fragments) relative to the channel centre, in Hz."""
    ng = n_grid(bw, grid)
    n_hops = header_count + n_frags
    if hopping:
        pos = np.array(hop_positions(bw, grid, hop_id, 4 + n_frags)[4 - header_count :])
    else:
        pos = np.full(n_hops, hop_id % ng)
    centred = np.where(pos < ng >> 1, pos, pos - ng)
    slots = GRID_SLOTS[grid]
    grid_offset = (1 + ng % 2) * (slots // 2)
    f = -centred * grid_hz(grid) - (device_offset + grid_offset) * BIT_RATE
    if hopping:
        for h in range(header_count):
            if (header_count - h) % 2 == 0:
                f[h] += BIT_RATE / 2
    return f.astype(np.float64)
