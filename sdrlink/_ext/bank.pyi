import numpy as np

def gather_bins(
    spec: np.ndarray, bins: np.ndarray, weights: np.ndarray, phase: np.ndarray, out: np.ndarray
) -> None: ...
