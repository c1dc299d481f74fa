"""SoapySDR source: the real bindings' null device, and a scripted stand-in device.

The null device (built into libSoapySDR) exercises opening, range queries and
configuration errors through the real bindings. The streaming loop is driven
by :class:`ScriptedDevice`, which mimics the ``SoapySDR.Device`` API and
returns SoapySDR's real return codes between blocks of a recording.
"""

from __future__ import annotations

import os
import threading
import time

import numpy as np
import pytest

from sdrlink.errors import DeviceError
from sdrlink.sources.soapy import Gain, Settings, SoapySource, configure, parse_gain


@pytest.fixture(scope="module")
def soapy():
    try:
        import SoapySDR
    except ImportError:
        if os.environ.get("SDRLINK_REQUIRE_SOAPY") == "1":
            pytest.fail("SoapySDR is not importable (SDRLINK_REQUIRE_SOAPY=1)")
        pytest.skip("SoapySDR Python bindings not installed")
    return SoapySDR


# -- the null device through the real bindings ---------------------------------------


def test_null_device_is_enumerated(soapy):
    from sdrlink.sources.soapy import enumerate_devices

    found = enumerate_devices("type=null")
    assert [d["driver"] for d in found] == ["null"]


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({"frequency": 436.7e6}, "frequency 436.7 MHz is out of range; it tunes none"),
        ({"sample_rate": 1.024e6}, "sample rate 1.024 MSps is not supported; it supports none"),
        ({"gain": 40}, "gain 40 dB is out of range; it supports 0 to 0 dB"),
        ({"gain": "LNA=20,VGA=10"}, "no gain element 'LNA'; it has: none"),
        ({"gain": "agc"}, "no automatic gain"),
        ({"antenna": "RX2"}, "no antenna 'RX2'"),
        ({"ppm": 1.5}, "no frequency correction"),
        ({"bandwidth": 200e3}, "bandwidth 200 kHz is not supported; it supports none"),
    ],
)
def test_null_device_rejects_settings_it_does_not_support(soapy, settings, expected):
    with pytest.raises(DeviceError) as err:
        SoapySource("driver=null", **settings)
    assert "SoapySDR null" in str(err.value)
    assert expected in str(err.value)


def test_null_device_accepts_gain_in_its_range(soapy):
    dev = soapy.Device({"driver": "null"})
    try:
        configure(dev, Settings(gain=Gain(overall=0.0)), soapy.SOAPY_SDR_RX, "null")
        assert dev.getGain(soapy.SOAPY_SDR_RX, 0) == 0.0
    finally:
        dev.close()
    # the source opens it, applies the gain, then finds no usable sample rate
    with pytest.raises(DeviceError, match="reports sample rate 0; give --rate"):
        SoapySource("driver=null", gain=0)


def test_unknown_device_names_the_arguments(soapy):
    with pytest.raises(DeviceError, match="cannot open SoapySDR device driver=nosuchradio"):
        SoapySource("driver=nosuchradio", frequency=100e6, sample_rate=1e6)


def test_devices_command_describes_null_device(soapy, capsys):
    from sdrlink.cli.main import main

    assert main(["devices", "--device", "driver=null"]) == 0
    out = capsys.readouterr().out
    assert "device: null" in out
    assert "receive channels: 0" in out
    assert main(["devices", "--filter", "type=null"]) == 0
    assert "driver=null" in capsys.readouterr().out


def test_missing_bindings_say_what_to_install(monkeypatch, capsys):
    import sys

    from sdrlink.cli.main import main
    from sdrlink.sources.soapy import soapy_module

    monkeypatch.setitem(sys.modules, "SoapySDR", None)  # import fails
    with pytest.raises(DeviceError) as err:
        soapy_module()
    text = str(err.value)
    assert "apt install python3-soapysdr soapysdr-module-rtlsdr soapysdr-module-hackrf" in text
    assert "--system-site-packages" in text
    assert main(["devices"]) == 2
    assert "python3-soapysdr" in capsys.readouterr().err


def test_gain_parsing():
    assert parse_gain("40") == Gain(overall=40.0)
    assert parse_gain("agc") == Gain(agc=True)
    assert parse_gain("LNA=20, VGA=10") == Gain(elements={"LNA": 20.0, "VGA": 10.0})
    from sdrlink.errors import ConfigError

    with pytest.raises(ConfigError, match="bad gain 'loud'"):
        parse_gain("loud")


# -- a scripted stand-in for SoapySDR.Device ------------------------------------------


class _Result:
    def __init__(self, ret: int, flags: int = 0, time_ns: int = 0) -> None:
        self.ret, self.flags, self.timeNs = ret, flags, time_ns


class ScriptedDevice:
    """Mimics one SoapySDR RX device; ``readStream`` plays ``script`` over ``samples``.

    Script steps: ``("data", n)`` delivers the next n samples (with HAS_TIME
    when ``timed``), ``("skip", n)`` drops n samples and returns OVERFLOW,
    ``("timeout",)`` returns TIMEOUT, ``("pause", s)`` waits s seconds and returns
    TIMEOUT, ``("code", c)`` returns error code c,
    ``("raise",)`` raises like a vanished USB device. After the script: TIMEOUT.
    """

    def __init__(self, soapy, samples, script, rate=250e3, timed=True, state=None):
        self.S = soapy
        self.samples = samples
        self.script = list(script)
        self.rate = rate
        self.timed = timed
        self.state = state if state is not None else {"pos": 0}
        self.settings: dict = {}
        self.stream_calls: list[str] = []
        self.closed = False

    # identity and ranges
    def getDriverKey(self):
        return "scripted"

    def getHardwareKey(self):
        return "R820T"

    def getHardwareInfo(self):
        return {"serial": "0001"}

    def getNumChannels(self, direction):
        return 1

    def getFrequencyRange(self, d, ch):
        return [self.S.Range(24e6, 1.766e9)]

    def listSampleRates(self, d, ch):
        return [250e3, 1.024e6, 2.048e6]

    def getSampleRateRange(self, d, ch):
        return []

    def getGainRange(self, d, ch, name=None):
        return self.S.Range(0, 15) if name else self.S.Range(0, 49.6)

    def listGains(self, d, ch):
        return ["LNA", "VGA"]

    def hasGainMode(self, d, ch):
        return True

    def listAntennas(self, d, ch):
        return ["RX"]

    def getBandwidthRange(self, d, ch):
        return [self.S.Range(200e3, 8e6)]

    def listBandwidths(self, d, ch):
        return []

    def hasFrequencyCorrection(self, d, ch):
        return True

    # settings
    def setSampleRate(self, d, ch, v):
        self.settings["rate"] = v
        self.rate = v

    def getSampleRate(self, d, ch):
        return self.settings.get("rate", 0.0)

    def setFrequency(self, d, ch, v):
        self.settings["freq"] = v

    def getFrequency(self, d, ch):
        return self.settings.get("freq", 0.0)

    def setBandwidth(self, d, ch, v):
        self.settings["bw"] = v

    def setGainMode(self, d, ch, auto):
        self.settings["agc"] = auto

    def setGain(self, d, ch, *args):
        self.settings[f"gain:{args[0]}" if len(args) == 2 else "gain"] = args[-1]

    def setFrequencyCorrection(self, d, ch, v):
        self.settings["ppm"] = v

    def setAntenna(self, d, ch, name):
        self.settings["antenna"] = name

    # streaming
    def setupStream(self, d, fmt, chans):
        assert fmt == self.S.SOAPY_SDR_CF32 and chans == [0]
        self.stream_calls.append("setup")
        return "stream"

    def activateStream(self, st):
        self.stream_calls.append("activate")
        return 0

    def deactivateStream(self, st):
        self.stream_calls.append("deactivate")
        return 0

    def closeStream(self, st):
        self.stream_calls.append("close")

    def close(self):
        self.closed = True

    def readStream(self, st, buffs, n, flags=0, timeoutUs=100000):
        S = self.S
        if not self.script:
            time.sleep(0.002)
            return _Result(S.SOAPY_SDR_TIMEOUT)
        step = self.script[0]
        kind = step[0]
        pos = self.state["pos"]
        if kind == "data":
            k = min(step[1], n, len(self.samples) - pos)
            buffs[0][:k] = self.samples[pos : pos + k]
            self.state["pos"] = pos + k
            if step[1] - k > 0 and k > 0:
                self.script[0] = ("data", step[1] - k)
            else:
                self.script.pop(0)
            t = round(pos * 1e9 / self.rate)
            return _Result(k, S.SOAPY_SDR_HAS_TIME if self.timed else 0, t if self.timed else 0)
        self.script.pop(0)
        if kind == "skip":
            self.state["pos"] = pos + step[1]
            return _Result(S.SOAPY_SDR_OVERFLOW)
        if kind == "timeout":
            return _Result(S.SOAPY_SDR_TIMEOUT)
        if kind == "pause":  # a read that waits for data and times out
            time.sleep(step[1])
            return _Result(S.SOAPY_SDR_TIMEOUT)
        if kind == "code":
            return _Result(step[1])
        if kind == "raise":
            raise RuntimeError("device disconnected (LIBUSB_ERROR_NO_DEVICE)")
        raise AssertionError(step)


def _index_signal(n: int) -> np.ndarray:
    """Sample k holds k (real part) so any block's indices can be checked exactly."""
    return (np.arange(n, dtype=np.float32) + 1j * np.float32(0.5)).astype(np.complex64)


def _source(soapy, dev, **kw):
    kw.setdefault("sample_rate", 250e3)
    kw.setdefault("buffer_seconds", 100.0)
    return SoapySource("driver=scripted", make_device=lambda args: dev, **kw)


def test_scripted_device_is_configured_and_checked(soapy):
    dev = ScriptedDevice(soapy, _index_signal(10), [])
    src = _source(
        soapy,
        dev,
        frequency=436.7e6,
        gain="LNA=10,VGA=5",
        antenna="RX",
        bandwidth=250e3,
        ppm=-2.5,
    )
    src.close()
    assert dev.settings == {
        "rate": 250e3,
        "freq": 436.7e6,
        "bw": 250e3,
        "agc": False,
        "gain:LNA": 10.0,
        "gain:VGA": 5.0,
        "ppm": -2.5,
        "antenna": "RX",
    }
    assert src.info.center_freq == 436.7e6
    assert "scripted (R820T), serial=0001" in src.info.extra["hw"]
    cases = [
        ({"frequency": 6e9}, "frequency 6 GHz is out of range; it tunes 24 MHz to 1.766 GHz"),
        ({"sample_rate": 3e6}, "sample rate 3 MSps is not supported; it supports 250 kSps, "),
        ({"gain": 60}, "gain 60 dB is out of range; it supports 0 to 49.6 dB"),
        ({"gain": "LNA=20"}, "gain LNA=20 dB is out of range; it supports 0 to 15 dB"),
        ({"gain": "MIX=3"}, "no gain element 'MIX'; it has: LNA, VGA"),
        ({"antenna": "TX"}, "no antenna 'TX'; choose one of: RX"),
        ({"bandwidth": 50e3}, "bandwidth 50 kHz is not supported; it supports 200 kHz to 8 MHz"),
    ]
    for kw, message in cases:
        dev = ScriptedDevice(soapy, _index_signal(10), [])
        with pytest.raises(DeviceError) as err:
            _source(soapy, dev, **kw)
        assert message in str(err.value), kw
        assert dev.closed  # a device that failed configuration is released


def test_stream_codes_gaps_and_indices(soapy):
    x = _index_signal(40_000)
    script = [
        ("data", 7000),
        ("timeout",),
        ("data", 3000),
        ("skip", 2500),  # OVERFLOW: 2500 samples gone
        ("data", 6000),
        ("timeout",),
        ("skip", 500),
        ("skip", 1000),  # two overflows in a row: one gap of 1500
        ("data", 20_000),
    ]
    dev = ScriptedDevice(soapy, x, script)
    with _source(soapy, dev, duration=40_000 / 250e3) as src:
        blocks = list(src.blocks(4096))
    for b in blocks:  # every sample sits at its true index
        assert np.array_equal(b.samples.real, np.arange(b.start, b.stop, dtype=np.float32))
    gaps = [(b.start, b.lost) for b in blocks if b.lost]
    assert gaps == [(12_500, 2500), (20_000, 1500)]
    assert blocks[-1].stop == 40_000
    assert sum(len(b.samples) for b in blocks) == 36_000
    assert src.stats.overflows == 3
    assert src.stats.timeouts >= 2  # and more once the script has ended
    assert src.stats.device_lost == 4000
    assert src.info.start_time is not None
    assert dev.stream_calls == ["setup", "activate", "deactivate", "close"]


def test_overflow_without_timestamps_is_estimated(soapy):
    x = _index_signal(30_000)
    script = [("data", 10_000), ("skip", 5000), ("data", 15_000)]
    dev = ScriptedDevice(soapy, x, script, timed=False)
    blocks = []
    with _source(soapy, dev) as src:
        for b in src.blocks(1 << 16):
            blocks.append(b)
            if sum(len(b.samples) for b in blocks) >= 25_000:
                break
    assert src.stats.overflows == 1
    assert src.stats.estimated == 1  # no timestamps: the gap comes from the host clock
    got = np.concatenate([b.samples.real for b in blocks])
    assert np.array_equal(got, np.concatenate([np.arange(10_000), np.arange(15_000, 30_000)]))
    after = next(b for b in blocks if b.samples.real[0] == 15_000)
    assert after.start == 10_000 + after.lost  # the (estimated) gap is counted, never negative


def test_vanished_device_is_reopened_with_backoff(soapy):
    x = _index_signal(30_000)
    state = {"pos": 0}
    made = []
    scripts = [
        [("data", 10_000), ("raise",)],
        [("skip", 2000), ("data", 18_000)],
    ]

    def make(args):
        if len(made) == 1 and not getattr(make, "failed", False):
            make.failed = True  # the first reopen attempt fails: still unplugged
            raise RuntimeError("SoapySDR::Device::make() no match")
        dev = ScriptedDevice(soapy, x, scripts[len(made)], state=state)
        made.append(dev)
        return dev

    events: list[str] = []
    src = SoapySource(
        "driver=scripted",
        sample_rate=250e3,
        make_device=make,
        buffer_seconds=100.0,
        notify=events.append,
    )
    blocks = []
    with src:
        for b in src.blocks(8192):
            blocks.append(b)
            if sum(len(b.samples) for b in blocks) >= 28_000:
                break
    assert len(made) == 2
    assert made[0].closed
    assert src.stats.outages == 1 and src.stats.restarts == 1
    assert any("retrying in 0.1 s" in e for e in events)
    assert any("retrying in 0.2 s" in e for e in events)  # back-off doubled
    assert any("streaming again" in e for e in events)
    # after the restart the gap is estimated from the host clock; samples are all there
    got = np.concatenate([b.samples.real for b in blocks])
    assert np.array_equal(got[:10_000], np.arange(10_000))
    assert np.array_equal(got[10_000:28_000], np.arange(12_000, 30_000))
    assert sum(1 for b in blocks if b.lost) == 1


def test_device_gone_for_good_gives_up(soapy):
    x = _index_signal(20_000)
    made = []

    def make(args):
        if made:
            raise RuntimeError("SoapySDR::Device::make() no match")
        made.append(ScriptedDevice(soapy, x, [("data", 5000), ("code", -2)]))
        return made[0]

    src = SoapySource("driver=scripted", sample_rate=250e3, make_device=make, give_up_after=0.5)
    t0 = time.monotonic()
    got = 0
    with src, pytest.raises(DeviceError) as err:
        for b in src.blocks(4096):
            got += len(b.samples)
    assert got == 5000
    assert "gave up after 0.5 s" in str(err.value)
    assert "SOAPY_SDR_STREAM_ERROR" in str(err.value) or "no match" in str(err.value)
    assert time.monotonic() - t0 < 5.0


def test_error_before_first_samples_is_fatal(soapy):
    dev = ScriptedDevice(soapy, _index_signal(10), [("code", soapy.SOAPY_SDR_NOT_SUPPORTED)])
    with _source(soapy, dev) as src, pytest.raises(DeviceError, match="NOT_SUPPORTED"):
        list(src.blocks())


def test_slow_decoder_never_blocks_the_reader(soapy):
    x = _index_signal(200_000)
    dev = ScriptedDevice(soapy, x, [("data", 150_000), ("pause", 0.5), ("data", 2500)])
    src = _source(soapy, dev, buffer_seconds=0.05, read_size=2500)  # holds 12500 samples
    blocks = []
    with src:
        for b in src.blocks(2500):
            blocks.append(b)
            time.sleep(0.01)  # the decoder is slow; the reader keeps reading
            if b.stop >= 152_500:
                break
    assert src.stats.buffer_dropped > 0
    lost = sum(b.lost for b in blocks)
    assert lost == src.stats.buffer_dropped  # every dropped sample shows up as a gap
    assert blocks[-1].stop == 152_500
    for b in blocks:
        assert np.array_equal(b.samples.real, np.arange(b.start, b.stop, dtype=np.float32))


def test_stop_ends_the_stream_from_another_thread(soapy):
    dev = ScriptedDevice(soapy, _index_signal(10_000), [("data", 10_000)])
    src = _source(soapy, dev)
    threading.Timer(0.3, src.stop).start()
    t0 = time.monotonic()
    with src:
        n = sum(len(b.samples) for b in src.blocks())
    assert n == 10_000
    assert time.monotonic() - t0 < 3.0
    assert dev.stream_calls[-2:] == ["deactivate", "close"]


def test_lora_frames_decode_across_overflows(soapy):
    """Frames decode from the scripted device; gaps keep the later frames' indices true."""
    import sys
    from pathlib import Path

    import sdrlink
    from sdrlink.pipeline import run
    from sdrlink.protocols import get_protocol

    sys.path.insert(0, str(Path(__file__).parent))
    from rtltcp_server import lora_recording

    payloads = [b"first frame", b"second frame", b"third frame", b"fourth frame"]
    x, starts = lora_recording(payloads, 250e3, gap_s=0.08)
    reference = sdrlink.decode(x, sample_rate=250e3, protocol="lora", sf=7, bw=125e3)
    assert [(f.payload, f.sample_index) for f in reference] == list(
        zip(payloads, starts, strict=True)
    )
    # lose 6000 samples in the silence before frame 3 and 3000 inside frame 4
    quiet = starts[2] - 10_000
    inside = starts[3] + 4000
    script = [
        ("data", quiet),
        ("skip", 6000),
        ("timeout",),
        ("data", inside - quiet - 6000),
        ("skip", 3000),
        ("data", len(x) - inside - 3000),
    ]
    dev = ScriptedDevice(soapy, x, script)
    src = _source(soapy, dev, frequency=436.7e6, duration=len(x) / 250e3)
    with src:
        rx = get_protocol("lora").make_receiver({"sf": 7, "bw": 125e3}, src.info)
        stats = run(src, [rx], block_size=10_000)
    got = [(f.payload, f.sample_index) for f in stats.frame_list if f.crc_ok]
    assert got == [(f.payload, f.sample_index) for f in reference[:3]]
    assert (stats.gaps, stats.lost_samples) == (2, 9000)
    assert stats.samples == len(x) - 9000
    # frame times follow the stream's start time and the true sample index
    f3 = stats.frame_list[2]
    assert f3.time == src.info.time_of(starts[2])
    assert f3.center_freq_hz == 436.7e6
