"""sdrlink: decode satellite IoT bursts (LoRa, FSK/AX.25, AX100) from SDR samples."""

from sdrlink.errors import ConfigError, DeviceError, InputError, SdrlinkError
from sdrlink.frame import Frame

__version__ = "0.1.0"

__all__ = ["Frame", "SdrlinkError", "InputError", "ConfigError", "DeviceError", "__version__"]
