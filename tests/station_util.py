"""Helpers for the station tests: synthetic TLEs, configs, simulated stations."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sdrlink.doppler.tle import checksum

STATION = "52.2,0.12,30"
START = dt.datetime(2026, 3, 2, 0, 0, tzinfo=dt.timezone.utc)


def make_tle(
    name: str,
    norad: int,
    epoch: dt.datetime,
    *,
    incl: float = 97.5,
    raan: float = 0.0,
    ecc: float = 0.001,
    argp: float = 90.0,
    ma: float = 0.0,
    mean_motion: float = 15.2,
    ndot: str = ".00000100",
    bstar: str = "10000-4",
) -> str:
    """A three-line element set with valid checksums (nearly drag-free)."""
    doy = (epoch - dt.datetime(epoch.year, 1, 1, tzinfo=dt.timezone.utc)).total_seconds() / 86400
    ep = f"{epoch.year % 100:02d}{doy + 1:012.8f}"
    l1 = f"1 {norad:05d}U 26001A   {ep}  {ndot}  00000-0  {bstar} 0  999"
    l2 = (
        f"2 {norad:05d} {incl:8.4f} {raan:8.4f} {round(ecc * 1e7):07d} {argp:8.4f} "
        f"{ma:8.4f} {mean_motion:11.8f}{1:5d}"
    )
    assert len(l1) == 68 and len(l2) == 68, (len(l1), len(l2))
    return f"{name}\n{l1}{checksum(l1)}\n{l2}{checksum(l2)}\n"


# Three satellites of the catalogue on neighbouring sun-synchronous orbits, so that
# their passes over the station often overlap.
SATS = (("US01", 42721, 10.0, 0.0), ("FACSAT-1", 43721, 16.0, 20.0), ("CAPE-3", 47309, 24.0, 45.0))


def write_tles(path: Path, epoch: dt.datetime = START) -> Path:
    text = "".join(make_tle(name, norad, epoch, raan=raan, ma=ma) for name, norad, raan, ma in SATS)
    path.write_text(text)
    return path


def config_text(tle: str, folder: str, *, rate: str = "64k", extra: str = "", sats=None) -> str:
    sats = sats or [("US01", 3, 10), ("FACSAT-1", 2, 10), ("CAPE-3", 1, 20)]
    blocks = "".join(
        f'[[satellite]]\nname = "{n}"\npriority = {p}\nmin_elevation = {e}\n\n' for n, p, e in sats
    )
    return f"""
[station]
name = "test-station"
position = "{STATION}"
horizon_hours = 24

[sdr]
device = "simulated"
rate = "{rate}"

{blocks}
[tle]
sources = ["{tle}"]
refresh_hours = 24

[output]
folder = "{folder}"
{extra}
"""


def make_station(
    tmp: Path,
    *,
    start: dt.datetime = START,
    radio_kwargs=None,
    extra: str = "",
    sats=None,
    hub=None,
    rotator=None,
    radio_cls=None,
):
    """A GroundStation on a SimClock with simulated passes, its config in ``tmp``."""
    from sdrlink.station import GroundStation, SimClock, parse_config
    from sdrlink.station.simradio import SimulatedRadio

    tle = tmp / "sats.tle"
    if not tle.exists():
        write_tles(tle)
    cfg = parse_config(config_text(str(tle), str(tmp / "out"), extra=extra, sats=sats), tmp)
    clock = SimClock(start)
    cls = radio_cls or SimulatedRadio
    radio = cls(clock, cfg.station, cfg.sdr.rate, workdir=tmp, **(radio_kwargs or {}))
    station = GroundStation(
        cfg, clock=clock, radio=radio, hub=hub, rotator=rotator, out=lambda m: None
    )
    return station, radio, clock
