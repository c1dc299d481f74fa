"""Exceptions that reach the user as one-line messages.

Anything a user can cause (a bad file, a wrong option, a missing device) raises
a subclass of :class:`SdrlinkError`; the CLI prints its message and exits 2.
Any other exception is a bug and exits 1.
"""


class SdrlinkError(Exception):
    """Base class for errors caused by input, configuration or the environment."""


class InputError(SdrlinkError):
    """A recording or data file is missing, malformed or inconsistent."""


class ConfigError(SdrlinkError):
    """Options or parameters are invalid or contradict each other."""


class DeviceError(SdrlinkError):
    """A radio device could not be opened, configured or read."""
