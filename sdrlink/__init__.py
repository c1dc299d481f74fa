"""sdrlink: decode satellite IoT bursts (LoRa, FSK/AX.25, AX100) from SDR samples.

The notebook-facing API::

    rec = sdrlink.open("pass.sigmf-meta")          # metadata, lazy sample access
    frames = sdrlink.decode(rec, protocol="lora", sf=10, bw=125e3)
    df = sdrlink.frames_to_dataframe(frames)       # with pandas
"""

import importlib
from typing import Any

from sdrlink.errors import ConfigError, DeviceError, InputError, SdrlinkError
from sdrlink.frame import Frame

__version__ = "0.1.0"

__all__ = [
    "Frame",
    "SdrlinkError",
    "InputError",
    "ConfigError",
    "DeviceError",
    "__version__",
    "open",
    "decode",
    "frames_to_dataframe",
    "Recording",
]

# Imported on first use so that ``import sdrlink`` stays light.
_LAZY = {
    "open": ("sdrlink.recording", "open_recording"),
    "Recording": ("sdrlink.recording", "Recording"),
    "decode": ("sdrlink.api", "decode"),
    "frames_to_dataframe": ("sdrlink.dataframe", "frames_to_dataframe"),
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sdrlink' has no attribute {name!r}")
