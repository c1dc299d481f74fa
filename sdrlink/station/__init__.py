"""The unattended ground station behind ``sdrlink station``.

- :mod:`~sdrlink.station.config`: the TOML configuration.
- :mod:`~sdrlink.station.clock`: real, scaled and simulated clocks.
- :mod:`~sdrlink.station.tles`: TLE files and URLs, refreshed and cached.
- :mod:`~sdrlink.station.schedule`: passes of every satellite, overlaps resolved by priority.
- :mod:`~sdrlink.station.rotator`: Hamlib ``rotctld`` client.
- :mod:`~sdrlink.station.runner`: one pass: tune, track, record, decode, export.
- :mod:`~sdrlink.station.station`: the loop that runs for weeks.
- :mod:`~sdrlink.station.simradio`: simulated passes for rehearsals and tests.
"""

from sdrlink.station.clock import RealClock, ScaledClock, SimClock
from sdrlink.station.config import EXAMPLE_CONFIG, StationConfig, load_config, parse_config
from sdrlink.station.station import GroundStation

__all__ = [
    "EXAMPLE_CONFIG",
    "GroundStation",
    "RealClock",
    "ScaledClock",
    "SimClock",
    "StationConfig",
    "load_config",
    "parse_config",
]
