import numpy as np

def check_code(k: int, out_tab: np.ndarray) -> None: ...
def is_antipodal(k: int, out_tab: np.ndarray) -> bool: ...
def block_decode(
    soft: np.ndarray,
    k: int,
    out_tab: np.ndarray,
    start_state: int,
    end_state: int,
    out: np.ndarray,
) -> int: ...
def stream_decode(
    soft: np.ndarray,
    k: int,
    out_tab: np.ndarray,
    metric: np.ndarray,
    ring: np.ndarray,
    counters: np.ndarray,
    depth: int,
    every: int,
    out: np.ndarray,
    final: bool,
) -> int: ...
