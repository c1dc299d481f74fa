import numpy as np

def ra_decode(
    lc: np.ndarray,
    k: int,
    seq: np.ndarray,
    out_word: np.ndarray,
    iterations: int,
    total: np.ndarray,
) -> None: ...
