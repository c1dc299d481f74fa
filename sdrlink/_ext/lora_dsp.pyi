import numpy as np

def fir_bank(
    x: np.ndarray, base: np.ndarray, phase: np.ndarray, bank: np.ndarray, out: np.ndarray
) -> None: ...
def fir_rational(
    x: np.ndarray,
    x0: int,
    k0: int,
    k1: int,
    num: int,
    den: int,
    half: int,
    bank: np.ndarray,
    out: np.ndarray,
) -> None: ...
