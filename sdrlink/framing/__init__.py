"""Framing registry: one line per framing.

Each module named here defines ``FRAMINGS``, a tuple of
:class:`~sdrlink.framing.base.Framing`; the registry maps every canonical
name to its module. Modules are imported on first use. Adding a framing is
one module (or an entry in an existing one) and one line here.

Names are matched exactly (case and surrounding space ignored): a canonical
name, or one of a framing's aliases, which are the spellings of the
gr-satellites satellite descriptions. Anything else is refused with the list
of choices, never guessed.
"""

from __future__ import annotations

import importlib

from sdrlink.errors import ConfigError
from sdrlink.framing.base import Deframer, EncodedFrame, Framing, FramingOption, RawFrame

__all__ = [
    "REGISTRY",
    "Deframer",
    "EncodedFrame",
    "Framing",
    "FramingOption",
    "RawFrame",
    "all_framings",
    "framing_names",
    "get_framing",
]

REGISTRY: dict[str, str] = {
    "ax25": "sdrlink.framing.ax25",
    "ax25_g3ruh": "sdrlink.framing.ax25",
    "ax100": "sdrlink.framing.ax100",
    "ax100_rs": "sdrlink.framing.ax100",
    "u482c": "sdrlink.framing.ax100",
    "foresail1": "sdrlink.framing.ax100",
    "ax5043": "sdrlink.framing.ax5043",
    "ao40_fec": "sdrlink.framing.ao40",
    "ao40_fec_short": "sdrlink.framing.ao40",
    "ao40_fec_crc16_arc": "sdrlink.framing.ao40",
    "ao40_fec_crc16_arc_short": "sdrlink.framing.ao40",
    "ao40_uncoded": "sdrlink.framing.ao40",
    "ccsds_rs": "sdrlink.framing.ccsds",
    "ccsds_rs_no_scrambler": "sdrlink.framing.ccsds",
    "ccsds_uncoded": "sdrlink.framing.ccsds",
    "ccsds_concatenated": "sdrlink.framing.ccsds",
    "smogp_signalling": "sdrlink.framing.smogp",
    "smog1_signalling": "sdrlink.framing.smogp",
    "aausat4": "sdrlink.framing.aausat4",
    "astrocast_fx25_nrzi": "sdrlink.framing.fx25",
    "astrocast_fx25_nrz": "sdrlink.framing.fx25",
    "ngham": "sdrlink.framing.ngham",
    "ngham_no_rs": "sdrlink.framing.ngham",
    "3cat1": "sdrlink.framing.cc11xx",
    "reaktor_hello_world": "sdrlink.framing.cc11xx",
    "light1": "sdrlink.framing.cc11xx",
    "ua01": "sdrlink.framing.ua01",
    "ops_sat": "sdrlink.framing.opssat",
    "ideassat": "sdrlink.framing.ideassat",
    "snet": "sdrlink.framing.snet",
    "salsat": "sdrlink.framing.snet",
    "swiatowid": "sdrlink.framing.swiatowid",
    "lilacsat1": "sdrlink.framing.lilacsat",
    "aalto1": "sdrlink.framing.chips",
    "lucky7": "sdrlink.framing.chips",
    "fossasat": "sdrlink.framing.chips",
    "grizu263a": "sdrlink.framing.chips",
    "binar1": "sdrlink.framing.chips",
    "diy1": "sdrlink.framing.chips",
    "binar2": "sdrlink.framing.chips",
    "endurosat": "sdrlink.framing.chips",
    "geoscan": "sdrlink.framing.chips",
    "tt64": "sdrlink.framing.tt64",
    "yusat": "sdrlink.framing.yusat",
    "eseo": "sdrlink.framing.eseo",
    "aistechsat2": "sdrlink.framing.aistechsat2",
    "usp": "sdrlink.framing.usp",
    "nusat": "sdrlink.framing.nusat",
    "smogp_ra": "sdrlink.framing.smogra",
    "smog1_ra": "sdrlink.framing.smogra",
    "mrc100_ra": "sdrlink.framing.smogra",
    "mobitex": "sdrlink.framing.mobitex",
    "mobitex_nx": "sdrlink.framing.mobitex",
    "beesat1": "sdrlink.framing.mobitex",
    "beesat9": "sdrlink.framing.mobitex",
    "spino": "sdrlink.framing.spino",
    "sanosat": "sdrlink.framing.sanosat",
    "hades_r": "sdrlink.framing.hades",
    "qubik": "sdrlink.framing.qubik",
    "openlst": "sdrlink.framing.openlst",
    "hsu_sat1": "sdrlink.framing.hsusat1",
}


def framing_names() -> list[str]:
    """Canonical names of all registered framings."""
    return list(REGISTRY)


def _load(name: str) -> Framing:
    module = importlib.import_module(REGISTRY[name])
    for framing in module.FRAMINGS:
        if framing.name == name:
            assert isinstance(framing, Framing)
            return framing
    raise LookupError(f"{REGISTRY[name]} does not define framing {name!r}")


def all_framings() -> list[Framing]:
    """Every registered framing, in registry order."""
    return [_load(name) for name in REGISTRY]


def _key(text: str) -> str:
    return " ".join(str(text).split()).lower()


def get_framing(name: str) -> Framing:
    """The framing called ``name`` (canonical name or exact alias); ConfigError otherwise."""
    key = _key(name)
    if key in REGISTRY:
        return _load(key)
    for framing in all_framings():
        if key in {_key(a) for a in framing.aliases}:
            return framing
    raise ConfigError(f"unknown framing {name!r}; choose one of: {', '.join(REGISTRY)}")
