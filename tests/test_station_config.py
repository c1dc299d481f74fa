"""The station's TOML configuration and the command line around it."""

from __future__ import annotations

import pytest

from sdrlink.cli.main import main
from sdrlink.errors import ConfigError
from sdrlink.station.config import EXAMPLE_CONFIG, parse_config


def test_example_config_parses_as_printed(tmp_path, capsys):
    assert main(["station", "--example-config"]) == 0
    text = capsys.readouterr().out
    assert text == EXAMPLE_CONFIG
    cfg = parse_config(text, tmp_path)
    assert cfg.station.lat == pytest.approx(52.2) and cfg.station.alt == 30
    assert [(s.name, s.priority, s.min_elevation) for s in cfg.satellites] == [
        ("US01", 2, 15),
        ("FACSAT-1", 1, 10),
    ]
    assert cfg.sdr.device == "rtl_tcp=127.0.0.1:1234" and cfg.sdr.rate == 1.024e6
    assert cfg.sdr.datatype == "cu8" and cfg.sdr.gain == "40"
    assert cfg.tle_sources == [str(tmp_path / "amateur.tle")]  # relative to the file
    assert cfg.folder == tmp_path / "station-data"
    assert cfg.frame_log == tmp_path / "station-data" / "frames.sqlite"
    assert cfg.rotator is None and cfg.refresh_hours == 12


BASE = """
[station]
position = "52.2,0.12,30"
[[satellite]]
name = "us01"
[tle]
sources = ["https://example.invalid/tle", "x.tle"]
"""


def test_defaults_and_catalogue_names(tmp_path):
    cfg = parse_config(BASE + '[rotator]\naddress = "127.0.0.1"\n', tmp_path)
    assert cfg.satellites[0].name == "US01"  # the catalogue's spelling
    assert cfg.tle_sources[0] == "https://example.invalid/tle"
    assert cfg.rotator.port == 4533 and (cfg.rotator.park_az, cfg.rotator.park_el) == (0, 90)
    assert cfg.sdr.datatype == "cf32_le"  # not rtl_tcp


@pytest.mark.parametrize(
    "change, message",
    [
        (("us01", "US-O1X"), "unknown satellite 'US-O1X'; did you mean"),
        (('position = "52.2,0.12,30"', 'position = "95,0,0"'), "latitude 95"),
        (("[tle]", "[tle]\nrefresh_hours = 0"), "refresh_hours must be positive"),
        (("[[satellite]]", '[sdr]\nrate = "fast"\n[[satellite]]'), "rate: not a number"),
        (("[[satellite]]", '[sdr]\nrecord_format = "wav"\n[[satellite]]'), "record_format"),
        (('name = "us01"', 'name = "us01"\nelevation = 3'), "unknown key(s) elevation"),
        (('name = "us01"', 'name = "us01"\nmin_elevation = 95'), "outside 0..90"),
        (("[tle]", '[[satellite]]\nname = "US01"\n[tle]'), "listed twice: US01"),
        (("[station]", "[stations]"), "unknown key(s) stations"),
        (('sources = ["https://example.invalid/tle", "x.tle"]', "sources = []"), "[tle] sources"),
        (("[tle]", "[rotator]\npark = 3\n[tle]"), "[rotator] needs address"),
        (("[station]", "[station\n"), "not valid TOML"),
    ],
)
def test_config_errors_name_the_problem(tmp_path, change, message):
    with pytest.raises(ConfigError) as exc:
        parse_config(BASE.replace(*change), tmp_path)
    assert message in str(exc.value)


def test_cli_errors_are_one_line(tmp_path, capsys):
    assert main(["station"]) == 2
    assert "--config station.toml" in capsys.readouterr().err
    assert main(["station", "--config", str(tmp_path / "none.toml")]) == 2
    assert "station config not found" in capsys.readouterr().err
    (tmp_path / "s.toml").write_text(BASE.replace('"https://example.invalid/tle", ', ""))
    assert main(["station", "--config", str(tmp_path / "s.toml"), "--plan"]) == 2
    err = capsys.readouterr().err
    assert "no TLEs could be read" in err and "x.tle: cannot read TLE file" in err
