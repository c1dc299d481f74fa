"""The root-raised-cosine pulse that transmitter and matched filter share.

Time is in symbols. The pulse has unit energy per symbol period when sampled
densely (``rrc(t) * rrc(t)`` convolved is a raised cosine with value 1 at 0).
"""

from __future__ import annotations

import math

import numpy as np


def rrc(t: np.ndarray | float, alpha: float) -> np.ndarray:
    """Root-raised-cosine pulse at times ``t`` (symbols), roll-off ``alpha`` in (0, 1]."""
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    out = np.empty_like(t)
    a = float(alpha)
    at0 = np.abs(t) < 1e-9
    edge = np.abs(np.abs(t) - 1.0 / (4.0 * a)) < 1e-9
    rest = ~(at0 | edge)
    tr = t[rest]
    num = np.sin(math.pi * tr * (1 - a)) + 4 * a * tr * np.cos(math.pi * tr * (1 + a))
    den = math.pi * tr * (1 - (4 * a * tr) ** 2)
    out[rest] = num / den
    out[at0] = 1 - a + 4 * a / math.pi
    out[edge] = (a / math.sqrt(2)) * (
        (1 + 2 / math.pi) * math.sin(math.pi / (4 * a))
        + (1 - 2 / math.pi) * math.cos(math.pi / (4 * a))
    )
    return out


def raised_cosine(t: np.ndarray | float, alpha: float) -> np.ndarray:
    """The raised-cosine pulse (RRC convolved with itself), 1 at t = 0, 0 at other integers."""
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    a = float(alpha)
    den = 1 - (2 * a * t) ** 2
    near = np.abs(den) < 1e-9
    safe = np.where(near, 1.0, den)
    out = np.sinc(t) * np.cos(math.pi * a * t) / safe
    return np.where(near, (math.pi / 4) * np.sinc(1 / (2 * a)), out)
