import numpy as np

def fir_rational(
    x: np.ndarray,
    x0: int,
    k0: int,
    k1: int,
    num: int,
    den: int,
    half: int,
    bank2: np.ndarray,
    out: np.ndarray,
) -> None: ...
def dechirp_shift(x: np.ndarray, ref: np.ndarray, shift: np.ndarray, out: np.ndarray) -> None: ...
def fold_phase_jump(r: np.ndarray, freq: np.ndarray, fold: np.ndarray, out: np.ndarray) -> None: ...
def mix_tone(x: np.ndarray, f: float, k0: int, out: np.ndarray) -> None: ...
def fir_track(
    x: np.ndarray,
    p0: float,
    step: float,
    a: int,
    half: int,
    bank2: np.ndarray,
    out: np.ndarray,
) -> None: ...
def fir_halfband(
    x: np.ndarray,
    x0: int,
    k0: int,
    k1: int,
    half: int,
    even: np.ndarray,
    center: float,
    out: np.ndarray,
) -> None: ...
def pair_power(spec: np.ndarray, out: np.ndarray) -> None: ...
def trigger_stats(
    rows: np.ndarray, ks: np.ndarray, ratio: np.ndarray, agree: np.ndarray, step: int = 1
) -> None: ...
def scan_runs(
    rows: np.ndarray,
    ks: np.ndarray,
    ratio: np.ndarray,
    agree: np.ndarray,
    trigger: float,
    min_agree: int,
    near: float,
) -> tuple[int, int]: ...
def maxlog_bits(m: np.ndarray, out: np.ndarray) -> None: ...
def peak_stats(
    full: np.ndarray,
    spec: np.ndarray,
    k: np.ndarray,
    frac: np.ndarray,
    exact: np.ndarray,
    reliable: np.ndarray,
    ratio: float,
) -> None: ...
def dechirp_bins(
    x: np.ndarray,
    starts: np.ndarray,
    shift: np.ndarray,
    ref: np.ndarray,
    first: np.ndarray,
    out: np.ndarray,
) -> None: ...
def preamble_peaks(up: np.ndarray, out: np.ndarray) -> None: ...
def diff_noise(spec: np.ndarray, pos0: float) -> float: ...
def symbol_errors(
    k: np.ndarray,
    frac: np.ndarray,
    exact: np.ndarray,
    reliable: np.ndarray,
    n: int,
    j0: int,
    first_reduced: bool,
    ldro: bool,
    e_meas: np.ndarray,
    e_fit: np.ndarray,
    fold: np.ndarray,
    timing_ok: np.ndarray,
) -> None: ...
def block_llrs(
    mags: np.ndarray,
    bins: np.ndarray,
    reduced: bool,
    bits: int,
    sf_app: int,
    out: np.ndarray,
) -> None: ...
