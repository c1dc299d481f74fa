import numpy as np

def fir_decim(
    buf: np.ndarray, rtaps2: np.ndarray, start: int, step: int, out: np.ndarray
) -> int: ...
def psk_sync(
    x: np.ndarray,
    bank: np.ndarray,
    half: int,
    st: np.ndarray,
    par: np.ndarray,
    out_re: np.ndarray,
    out_im: np.ndarray,
    out_pos: np.ndarray,
    out_freq: np.ndarray,
) -> int: ...
