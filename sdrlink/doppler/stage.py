"""The pipeline stage that removes the Doppler shift predicted from a TLE.

Sample ``n`` of the recording was taken at ``start_time + n / sample_rate``;
the stage mixes it down by the Doppler predicted for that instant (see
:mod:`sdrlink.doppler.curve` for why the result does not depend on block
size). Receivers then see the satellite near its nominal frequency, and
:meth:`DopplerStage.annotate` adds the prediction back to each frame so that
``Frame.freq_offset_hz`` stays relative to the tuned centre frequency.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from sdrlink.blocks import SampleBlock, StreamInfo
from sdrlink.doppler.curve import SEGMENT, PiecewiseNco
from sdrlink.doppler.orbit import Orbit, Station, parse_station, to_posix
from sdrlink.doppler.tle import Tle, load_tle
from sdrlink.errors import ConfigError
from sdrlink.frame import Frame
from sdrlink.pipeline import Stage

#: A TLE this far (days) from the recording gives a visibly wrong Doppler curve.
TLE_AGE_WARN_DAYS = 14.0


class DopplerStage(Stage):
    """Removes ``orbit``'s Doppler at ``carrier_hz`` from a stream described by ``info``."""

    def __init__(
        self, orbit: Orbit, info: StreamInfo, carrier_hz: float | None, segment: int = SEGMENT
    ) -> None:
        if not info.is_complex:
            raise ConfigError(
                "Doppler compensation needs IQ samples; this recording is real-valued audio "
                "(drop --tle, the receiver searches the offset blindly)"
            )
        if info.start_time is None:
            raise ConfigError("recording has no start time (core:datetime); give --start")
        if carrier_hz is None:
            raise ConfigError(
                "Doppler compensation needs the carrier frequency: the recording has no centre "
                "frequency; give --freq or --downlink"
            )
        if not carrier_hz or carrier_hz <= 0:
            raise ConfigError(f"Doppler carrier frequency must be positive, not {carrier_hz}")
        self.orbit = orbit
        self.info = info
        self.carrier_hz = float(carrier_hz)
        self.t0 = float(to_posix(info.start_time))
        self.sample_rate = float(info.sample_rate)
        self.nco = PiecewiseNco(self.sample_rate, self._doppler_at, sign=-1, segment=segment)
        age = abs(self.t0 - float(to_posix(orbit.epoch))) / 86400.0
        if age > TLE_AGE_WARN_DAYS:
            warnings.warn(
                f"TLE epoch of {orbit.tle.label} is {age:.0f} days from the recording; "
                "the predicted Doppler may be off",
                stacklevel=2,
            )

    def _doppler_at(self, index: np.ndarray) -> np.ndarray:
        return self.orbit.doppler(self.t0 + index / self.sample_rate, self.carrier_hz)

    def process(self, block: SampleBlock) -> SampleBlock:
        out = self.nco.process(block.samples, block.start)
        return SampleBlock(out, block.start, block.lost)

    def predicted_hz(self, sample_index: int) -> float:
        """The Doppler (Hz) the stage removed at absolute sample ``sample_index``."""
        return self.nco.freq_at(sample_index)

    def annotate(self, frame: Frame) -> None:
        """Add the predicted Doppler, its rate and the elevation at the frame start.

        ``residual_hz`` keeps the offset the receiver measured after compensation;
        ``freq_offset_hz`` becomes residual + predicted (relative to the tuned centre).
        """
        predicted = self.predicted_hz(frame.sample_index)
        residual = float(frame.freq_offset_hz)
        look = self.orbit.look(np.array([self.t0 + frame.sample_index / self.sample_rate]))
        frame.fields["doppler_predicted_hz"] = round(predicted, 3)
        frame.fields["residual_hz"] = round(residual, 3)
        frame.fields["doppler_rate_hz_s"] = round(self.nco.rate_at(frame.sample_index), 3)
        frame.fields["elevation_deg"] = round(float(look.elevation[0]), 2)
        frame.freq_offset_hz = residual + predicted


@dataclass(frozen=True)
class DopplerSpec:
    """Everything a Doppler stage needs but the stream: satellite, station, carrier.

    Plain data, so that ``sdrlink batch`` reads the TLE once and sends this to
    its workers, which build the stage for each recording (:meth:`stage`).
    ``carrier_hz`` None means each recording's centre frequency.
    """

    tle: Tle
    station: Station
    carrier_hz: float | None = None

    @classmethod
    def load(
        cls,
        tle_path: str,
        sat: str | int | None,
        station: str | Station,
        carrier_hz: float | None = None,
    ) -> DopplerSpec:
        """Read satellite ``sat`` from ``tle_path``; ConfigError/InputError on bad input."""
        return cls(load_tle(tle_path, sat), parse_station(station), carrier_hz)

    def stage(self, info: StreamInfo) -> DopplerStage:
        """The stage for the stream ``info`` describes."""
        carrier = self.carrier_hz if self.carrier_hz is not None else info.center_freq
        return DopplerStage(Orbit(self.tle, self.station), info, carrier)

    def describe(self) -> dict[str, object]:
        """The spec as plain JSON-able data (batch settings)."""
        st = self.station
        return {
            "tle": [self.tle.line1, self.tle.line2],
            "station": [st.lat, st.lon, st.alt],
            "carrier_hz": self.carrier_hz,
        }


def make_doppler_stage(
    tle_path: str,
    sat: str | int | None,
    station: str | Station,
    info: StreamInfo,
    carrier_hz: float | None = None,
) -> DopplerStage:
    """The Doppler stage for satellite ``sat`` of ``tle_path`` seen from ``station``.

    ``carrier_hz`` defaults to the recording's centre frequency.
    """
    return DopplerSpec.load(tle_path, sat, station, carrier_hz).stage(info)
