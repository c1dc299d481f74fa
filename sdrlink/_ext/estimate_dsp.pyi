import numpy as np

def level_normal(
    v: np.ndarray,
    b: np.ndarray,
    t: np.ndarray,
    t0: float,
    ts: float,
    keep: np.ndarray,
    gram: np.ndarray,
    atv: np.ndarray,
) -> int: ...
def level_residuals(
    v: np.ndarray,
    b: np.ndarray,
    t: np.ndarray,
    t0: float,
    ts: float,
    coef: np.ndarray,
    resid: np.ndarray,
    data: np.ndarray,
) -> int: ...
def power_moments(z: np.ndarray) -> tuple[float, float]: ...
def spd_solve(gram: np.ndarray, rhs: np.ndarray, x: np.ndarray, inv: np.ndarray) -> bool: ...
def robust_lines(
    t: np.ndarray,
    y: np.ndarray,
    g: np.ndarray,
    n_groups: int,
    min_points: int,
    clip: float,
    out: np.ndarray,
) -> bool: ...
def peak_drift(up: np.ndarray, pad: int, span: int) -> tuple[float, float]: ...
def preamble_fit(up: np.ndarray, down: np.ndarray, pad: int) -> tuple[float, float, float]: ...
def track_symbols(
    pred: np.ndarray,
    reliable: np.ndarray,
    err: np.ndarray,
    jump: np.ndarray,
    state: np.ndarray,
    track_timing: bool,
    alpha: float,
    beta: float,
    gamma: float,
    gamma2: float,
    max_diff: float,
    max_lag: float,
) -> int: ...
