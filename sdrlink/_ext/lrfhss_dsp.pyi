import numpy as np

def viterbi(
    soft: np.ndarray,
    n_bits: int,
    k: int,
    sgn: np.ndarray,
    start_state: int,
    end_state: int,
    out: np.ndarray,
) -> float: ...
def viterbi_tailbiting(
    soft: np.ndarray, n_bits: int, k: int, sgn: np.ndarray, out: np.ndarray
) -> float: ...
def pfb_rows(
    x: np.ndarray,
    x0: int,
    m0: int,
    m1: int,
    n_chan: int,
    decim: int,
    hrev: np.ndarray,
    out: np.ndarray,
) -> None: ...
def bcjr_differential(lam: np.ndarray, la: np.ndarray, ext: np.ndarray) -> None: ...
def bcjr_conv(
    la: np.ndarray,
    n_bits: int,
    k: int,
    sgn: np.ndarray,
    tailbiting: bool,
    ext: np.ndarray,
    app: np.ndarray,
) -> None: ...
