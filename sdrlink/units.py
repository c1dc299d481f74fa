"""Numbers with SI suffixes, as the command line and the catalogue write them.

Kept apart from the sources so that option parsing imports nothing heavy.
"""

from __future__ import annotations

import math
import re

from sdrlink.errors import ConfigError

_SI = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "G": 1e9, "m": 1e-3}
_SI_RE = re.compile(
    r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([kKMGm]?)\s*(Hz|sps|S/s)?\s*$"
)


def parse_si(text: str | float) -> float:
    """A number with an optional SI suffix: "250k" -> 250e3, "436.7M" -> 436.7e6.

    Accepts k/K, M, G and m, an optional unit ("Hz", "sps", "S/s") and plain
    numbers ("2e6"). Raises ConfigError on anything else.
    """
    if isinstance(text, (int, float)) and not isinstance(text, bool):
        value = float(text)
    else:
        m = _SI_RE.match(str(text))
        if not m:
            raise ConfigError(f"cannot read {text!r} as a number (examples: 250k, 1.024M, 436.7M)")
        value = float(m.group(1)) * _SI[m.group(2)]
    if not math.isfinite(value):
        raise ConfigError(f"{text!r} is not a finite number")
    return value
