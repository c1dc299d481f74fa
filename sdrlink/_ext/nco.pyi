import numpy as np

def mix_linear(
    x: np.ndarray,
    out: np.ndarray,
    phase0: float,
    f: float,
    r: float,
    k0: int,
    sign: int = ...,
) -> None: ...
def phase_at(phase0: float, f: float, r: float, k: int) -> float: ...
