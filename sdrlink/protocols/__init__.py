"""Protocol registry: one line per protocol package.

Each module named here defines ``PROTOCOL``, a :class:`~sdrlink.protocols.base.Protocol`.
Modules are imported lazily so that a broken or slow protocol does not slow
down the others.
"""

from __future__ import annotations

import importlib

from sdrlink.errors import ConfigError
from sdrlink.protocols.base import Option, Protocol, Receiver

__all__ = ["Option", "Protocol", "Receiver", "REGISTRY", "get_protocol", "protocol_names"]

REGISTRY: dict[str, str] = {
    "lora": "sdrlink.protocols.lora",
    "fsk": "sdrlink.protocols.fsk",
    "bpsk": "sdrlink.protocols.bpsk",
    "lrfhss": "sdrlink.protocols.lrfhss",
}


def protocol_names() -> list[str]:
    """Names of all registered protocols."""
    return list(REGISTRY)


def get_protocol(name: str) -> Protocol:
    """The registered protocol ``name``; ConfigError names the choices."""
    try:
        module = REGISTRY[name.lower()]
    except KeyError:
        raise ConfigError(
            f"unknown protocol {name!r}; choose one of: {', '.join(REGISTRY)}"
        ) from None
    proto = importlib.import_module(module).PROTOCOL
    assert isinstance(proto, Protocol)
    return proto
