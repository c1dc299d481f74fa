"""TLE files: 2- and 3-line forms, selection by name or NORAD id, checksum errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from sdrlink.doppler.tle import checksum, load_tle, parse_tles, read_tle_file, select_tle
from sdrlink.errors import ConfigError, InputError

DATA = Path(__file__).parent / "data" / "amateur.tle"
ISS1 = "1 25544U 98067A   25324.86734766  .00014275  00000-0  26737-3 0  9990"
ISS2 = "2 25544  51.6324 250.7347 0003961 150.1460 209.9755 15.48935269539463"
AO1 = "1 43017U 17073E   26166.62044886  .00007281  00000+0  31888-3 0  9990"
AO2 = "2 43017  97.4705  33.8675 0149766 334.7230  24.6723 15.12698959465156"


def test_reads_three_line_file_with_names_and_norad_ids():
    tles = read_tle_file(DATA)
    assert [t.name for t in tles] == ["ISS (ZARYA)", "RADFXSAT (AO-91)", "TECHNOSAT"]
    assert [t.norad for t in tles] == [25544, 43017, 42829]


def test_two_line_and_zero_prefixed_names_mix(tmp_path):
    text = f"{ISS1}\n{ISS2}\n\n0 AO-91\n{AO1}\n{AO2}\n"
    tles = parse_tles(text)
    assert [(t.name, t.norad) for t in tles] == [("", 25544), ("AO-91", 43017)]
    assert tles[0].label == "NORAD 25544"
    path = tmp_path / "two.txt"
    path.write_text(text)
    assert load_tle(path, 25544).line2 == ISS2


def test_select_by_name_case_insensitive_substring_and_norad():
    tles = read_tle_file(DATA)
    assert select_tle(tles, "iss (zarya)").norad == 25544
    assert select_tle(tles, "ao-91").norad == 43017  # unique substring
    assert select_tle(tles, "42829").name == "TECHNOSAT"
    assert select_tle(tles[:1], None).norad == 25544


def test_unknown_satellite_lists_the_names():
    with pytest.raises(ConfigError, match=r"'FUNCUBE'.*ISS \(ZARYA\).*TECHNOSAT"):
        load_tle(DATA, "FUNCUBE")
    with pytest.raises(ConfigError, match="holds 3 satellites"):
        load_tle(DATA, None)


def test_checksum_error_names_the_line():
    assert checksum(ISS1) == int(ISS1[-1])
    bad = ISS2[:20] + "9" + ISS2[21:]
    with pytest.raises(InputError, match=r":2: TLE line 2 checksum mismatch"):
        parse_tles(f"{ISS1}\n{bad}\n")


def test_malformed_structure_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="not followed by a line 2"):
        parse_tles(f"ISS\n{ISS1}\n")
    with pytest.raises(InputError, match="without a line 1"):
        parse_tles(f"{ISS2}\n")
    with pytest.raises(InputError, match="expected 69"):
        parse_tles(f"{ISS1[:60]}\n{ISS2}\n")
    with pytest.raises(InputError, match="different NORAD ids"):
        parse_tles(f"{ISS1}\n{AO2}\n")
    empty = tmp_path / "empty.tle"
    empty.write_text("\n")
    with pytest.raises(InputError, match="no TLE element sets"):
        read_tle_file(empty)
    with pytest.raises(InputError, match="not found"):
        read_tle_file(tmp_path / "missing.tle")
