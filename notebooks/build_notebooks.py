"""Write the example notebooks (without outputs) from the cell texts below.

    .venv/bin/python notebooks/build_notebooks.py

Edit the cells here rather than in Jupyter, so that the committed notebooks
stay output-free and reviewable; tests/test_notebooks.py executes them.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).resolve().parent

SETUP = '''\
import tempfile
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np

import sdrlink
import sdrlink.plot

plt.rcParams["figure.figsize"] = (9, 4.5)
ROOT = Path(sdrlink.__file__).resolve().parents[1]  # the source checkout
WORK = Path(tempfile.mkdtemp(prefix="sdrlink-notebook-"))  # everything we write goes here'''

CLEANUP = '''\
import shutil

shutil.rmtree(WORK, ignore_errors=True)'''


def md(text: str) -> nbformat.NotebookNode:
    return new_markdown_cell(text.strip("\n"))


def code(text: str) -> nbformat.NotebookNode:
    return new_code_cell(text.strip("\n"))


# --------------------------------------------------------------------------- 01
QUICKSTART = [
    md("""
# sdrlink quickstart

Open a recording, decode the LoRa bursts in it, look at them as a table and on a waterfall.

The bundled example `examples/lora_demo.sigmf-meta` is made by sdrlink's simulator
(`scripts/make_example.py`): five LoRa frames, SF7 and SF9 at 125 kHz, with a drifting carrier
offset like a satellite downlink and SNRs from +5 to -8 dB, stored as 8-bit IQ as `rtl_sdr`
writes it. When it is not there (an installed package without the examples) the notebook
simulates a similar recording in a temporary folder.
"""),
    code(SETUP),
    code('''
import datetime as dt

demo = ROOT / "examples" / "lora_demo.sigmf-meta"
if demo.exists():
    path = demo
else:
    from sdrlink.simulate import simulate_recording

    sim = simulate_recording(
        WORK / "lora_demo", "lora", {"sf": 9, "bw": 125e3},
        sample_rate=250e3, center_freq=436.7e6,
        payloads=[b"Hello from orbit!", b"second frame", b"third and last"],
        first_s=0.2, interval_s=0.8, snr_db=0.0, cfo_hz=4.1e3, drift_hz_s=-120, seed=1,
        start_time=dt.datetime(2026, 11, 1, 12, 0, tzinfo=dt.timezone.utc),
    )
    path = sim.meta_path
rec = sdrlink.open(path)
rec'''),
    md("""
`sdrlink.open` reads only the metadata. Samples are read from disk when asked for, so a
recording of many gigabytes opens instantly and can be browsed by index or by time:
"""),
    code('''
print("rate", rec.sample_rate, "Hz, centre", rec.center_freq, "Hz, start", rec.start_time)
print("duration", rec.duration, "s,", rec.num_samples, "samples of", rec.datatype)
x = rec.at(0.2, 0.05)          # 50 ms from t = 0.2 s
y = rec[1000:1010]             # ten samples by index
print(x.dtype, len(x), np.round(y[:3], 3))'''),
    md("""
## Decode

Name the protocol and its options. The LoRa receiver searches several spreading factors at
once (`sf=[7, 9]`) and finds the carrier offset by itself.
"""),
    code('''
frames = sdrlink.decode(rec, "lora", sf=[7, 9], bw=125e3)
frames'''),
    code('''
table = sdrlink.frames_to_dataframe(frames)
table[["time", "sf", "freq_offset_hz", "snr_db", "crc_ok", "length", "text"]]'''),
    code('''
assert frames and all(f.crc_ok for f in frames)
# a simulated recording carries the truth as SigMF annotations: check against it
sent = [bytes.fromhex(a["core:comment"]) for a in rec.annotations if "core:comment" in a]
if sent:
    assert {f.payload for f in frames} <= set(sent), "a decoded frame that was never sent"
    print(f"decoded {len(frames)} of {len(sent)} frames sent")'''),
    md("""
## Waterfall

Decoded frames are outlined where the receiver found them (start, length and bandwidth from
each frame). Long recordings are averaged down to a few hundred rows while streaming, so
this works on whole satellite passes too.
"""),
    code('''
ax = sdrlink.plot.waterfall(rec, frames)
ax.set_title("LoRa bursts found by the decoder");'''),
    md("""
Zoom on the first frame: with a time window and a short FFT (0.26 ms, shorter than the
chirp's sweep) the individual chirps of the preamble show.
"""),
    code('''
first = frames[0]
t0 = first.sample_index / rec.sample_rate
ax = sdrlink.plot.waterfall(rec, [first], start_s=t0 - 0.005, dur_s=0.04, nfft=64)
ax.set_title(f"frame 0: {first.text()!r}, {first.freq_offset_hz / 1e3:+.1f} kHz");'''),
    code(CLEANUP),
]

# --------------------------------------------------------------------------- 02
LORA_INSIDE = [
    md("""
# Inside the LoRa receiver

One frame through the receiver's stages, by hand: dechirp, preamble FFT peaks, carrier and
timing offset, symbols, and the bytes they carry. Then the real receiver, which does the
same (with soft decisions, fractional timing and drift tracking), must agree.
"""),
    code('''
import numpy as np
import matplotlib.pyplot as plt

import sdrlink
import sdrlink.plot
from sdrlink import channel
from sdrlink.plot.lora import base_upchirp, symbol_spectra, to_chip_rate
from sdrlink.protocols.lora import LoRaParams, codec, encode_symbols, modulate
from sdrlink.protocols.lora.demod import decode_block

plt.rcParams["figure.figsize"] = (9, 4.5)'''),
    md("""
## A frame on the air

SF8 at 125 kHz, sampled at 500 kHz. The channel adds a 7.3 kHz carrier offset and noise
(3 dB SNR in the LoRa bandwidth), and the frame starts at a sample the receiver does not know.
"""),
    code('''
SF, BW, FS = 8, 125e3, 500e3
N = 2**SF
params = LoRaParams(sf=SF, bw=BW, cr=1)
payload = b"LoRa, step by step"
CFO_HZ, LEAD = 7.3e3, 3001

rng = np.random.default_rng(2)
wave = modulate(params, payload, FS)
x = np.concatenate([np.zeros(LEAD, np.complex64), wave, np.zeros(4000, np.complex64)])
x = channel.channel(x, FS, snr_db=3, signal_bw=BW, cfo_hz=CFO_HZ, rng=rng)
print(len(wave), "samples of frame,", len(x), "in all")
ax = sdrlink.plot.waterfall(x, sample_rate=FS, nfft=128)
ax.set_title("the raw frame: preamble up-chirps, sync word, down-chirps, data");'''),
    md("""
## Dechirp

Multiplying by a down-chirp that restarts every symbol turns each up-chirp into a tone. The
preamble becomes a flat line, offset by the carrier offset *plus* the timing offset (the
two cannot be told apart on up-chirps alone); the down-chirps become steep slopes.
"""),
    code('''
ax = sdrlink.plot.lora_dechirped(x, SF, BW, FS)'''),
    md("""
## Preamble FFT peaks

Cut the stream into windows of one symbol (at the chip rate), dechirp each with a down-chirp
(up-chirps peak) and with an up-chirp (down-chirps peak). On up-chirps the peak sits at
`cfo + tau`, on the down-chirps at `cfo - tau` (in FFT bins), so together they give both the
carrier offset `cfo` and the timing offset `tau`.
"""),
    code('''
ax = sdrlink.plot.lora_symbols(x, SF, BW, FS, n_symbols=16)
ax.set_title("peak bin of each symbol-long window: preamble, sync word, down-chirps");'''),
    code('''
chips = to_chip_rate(x, FS, BW)
up = base_upchirp(SF)
windows = chips[: len(chips) // N * N].reshape(-1, N)
spec_up = np.abs(np.fft.fft(windows * np.conj(up), axis=1))  # up-chirps -> tones
spec_down = np.abs(np.fft.fft(windows * up, axis=1))  # down-chirps -> tones


def frac_peak(mag):
    """Peak bin with parabolic interpolation."""
    k = int(np.argmax(mag))
    a, b, c = mag[k - 1], mag[k], mag[(k + 1) % len(mag)]
    return k + 0.5 * (a - c) / (a - 2 * b + c)


def wrap(v):
    return (v + N / 2) % N - N / 2


first_up = int(np.argmax(spec_up.max(1) > 4 * np.median(spec_up, axis=1)))
p_up = np.median([frac_peak(spec_up[k]) for k in range(first_up + 1, first_up + 6)])
k_down = int(np.argmax(spec_down.max(1) > 2 * spec_up.max(1)))
p_down = frac_peak(spec_down[k_down])
cfo_bins = wrap(p_up + p_down) / 2  # |offset| < bw/4
tau = (p_up - cfo_bins) % N
cfo_hz = cfo_bins * BW / N
print(f"up-chirp peak {p_up:.2f}, down-chirp peak {p_down:.2f} (window {k_down})")
print(f"carrier offset {cfo_hz:.0f} Hz (true {CFO_HZ:.0f}), timing offset {tau:.2f} chips")
assert abs(cfo_hz - CFO_HZ) < BW / N / 2'''),
    md("""
The acquisition surface shows the same search as a landscape: dechirped FFT magnitude for
every window position and frequency offset. The ridge during the preamble is where the frame is.
"""),
    code('''
pre = slice(LEAD - 2 * N * 4, LEAD + 8 * N * 4)
ax = sdrlink.plot.acquisition_surface(x[pre], FS, sf=SF, bw=BW)
ax.set_title("acquisition surface over the preamble");'''),
    md("""
## Symbols

The data start 2.25 symbols after the first down-chirp. With the offsets removed, the peak of
each dechirped symbol is its value, exactly what the transmitter sent:
"""),
    code('''
down_start = k_down * N - tau  # chips from the start of the stream
data_start = int(round((down_start + 2.25 * N) * FS / BW))  # in samples
sent = encode_symbols(params, payload)
mags = symbol_spectra(x, SF, BW, FS, start=data_start, cfo_hz=cfo_hz, n_symbols=len(sent))
symbols = mags.argmax(axis=1)
print("data start at sample", data_start, "(true", LEAD + int(12.25 * N * FS / BW), ")")
print("symbol errors:", int(np.sum(symbols != sent)), "of", len(sent))
ax = sdrlink.plot.lora_symbols(x, SF, BW, FS, start=data_start, cfo_hz=cfo_hz,
                               n_symbols=len(sent))
assert np.array_equal(symbols, sent)'''),
    md("""
## Bytes

The first 8 symbols form the header block, sent at reduced rate (SF-2 bits per symbol) and
coding rate 4/8; the others carry SF bits each at the frame's coding rate. Gray mapping,
deinterleaving and Hamming decoding (`decode_block`, the receiver's own function) give
nibbles; the header says the length, coding rate and whether a CRC follows; the payload is
de-whitened and checked.
"""),
    code('''
header = decode_block(mags[:8], SF, 4, True, SF - 2)
length, cr, has_crc = codec.parse_header(header)
print(f"header: {length} bytes, CR 4/{4 + cr}, CRC {has_crc}")
nibbles = list(header[5:])
for pos in range(8, len(mags) - (4 + cr) + 1, 4 + cr):
    nibbles += list(decode_block(mags[pos : pos + 4 + cr], SF, cr, False, SF))
whitened = bytes(nibbles[2 * i] | (nibbles[2 * i + 1] << 4) for i in range(length))
data = codec.whiten(whitened)
crc_ok = [int(v) for v in nibbles[2 * length : 2 * length + 4]] == codec.crc_nibbles(
    codec.payload_crc(data)
)
print(data, "CRC ok" if crc_ok else "CRC BAD")
assert data == payload and crc_ok'''),
    md("""
## The receiver

`sdrlink.decode` runs the streaming receiver on the same samples. It finds the frame, its
start sample and carrier offset without being told anything but SF and bandwidth.
"""),
    code('''
frames = sdrlink.decode(x, "lora", sample_rate=FS, sf=SF, bw=BW)
for f in frames:
    print(f)
    print({k: f.fields[k] for k in ("sf", "cr", "n_symbols", "timing_offset") if k in f.fields})
assert [f.payload for f in frames] == [payload]
assert abs(frames[0].sample_index - LEAD) <= 4
assert abs(frames[0].freq_offset_hz - CFO_HZ) < 100'''),
]

# --------------------------------------------------------------------------- 03
DOPPLER = [
    md("""
# A LEO pass: Doppler prediction, compensation and decoding

A satellite 400 km up moves at 7.7 km/s: at 437.8 MHz its carrier sweeps about ±10 kHz over
a pass, fastest near the point of closest approach (TCA). This notebook simulates LoRa
beacons during a pass of the ISS over London (using an ISS TLE), removes the Doppler shift
predicted from the TLE before the receiver, decodes, and compares the measured carrier
offsets with the prediction.

To keep it fast it records the two minutes around TCA, where the Doppler changes fastest.
"""),
    code(SETUP),
    code('''
import datetime as dt

from sdrlink.api import decode_source
from sdrlink.doppler.orbit import make_orbit, to_posix
from sdrlink.doppler.passes import find_passes
from sdrlink.doppler.stage import make_doppler_stage
from sdrlink.simulate import simulate_recording

TLE = WORK / "iss.tle"
TLE.write_text("""\\
ISS (ZARYA)
1 25544U 98067A   25324.86734766  .00014275  00000-0  26737-3 0  9990
2 25544  51.6324 250.7347 0003961 150.1460 209.9755 15.48935269539463
""")
SAT, STATION, F_C = "ISS (ZARYA)", "51.48,-0.01,45", 437.8e6
LORA = {"sf": 9, "bw": 125e3}

orbit = make_orbit(str(TLE), SAT, STATION)
after = dt.datetime(2025, 11, 21, tzinfo=dt.timezone.utc)
passes = find_passes(orbit, after, 24, min_elevation=5)
p = next(p for p in passes if p.max_elevation > 45 and not p.clipped)  # a high pass
print(f"pass {p.aos:%H:%M:%S} - {p.los:%H:%M:%S} UTC above 5 deg, "
      f"max elevation {p.max_elevation:.0f} deg at {p.tca:%H:%M:%S}")'''),
    md("""
## Simulate the recording

`simulate_recording` places a frame every 6 s, applies the Doppler of the TLE orbit to the
carrier and to the waveform's time scale, adds noise (0 dB SNR) and writes a SigMF recording
with the truth of each frame as annotations.
"""),
    code('''
start = p.tca - dt.timedelta(seconds=60)
sim = simulate_recording(
    WORK / "pass", "lora", LORA, sample_rate=125e3, center_freq=F_C,
    duration=120, first_s=1.0, interval_s=6.0, snr_db=0.0,
    tle=str(TLE), sat=SAT, station=STATION, start_time=start, seed=3, datatype="ci16_le",
)
rec = sdrlink.open(sim.meta_path)
print(rec)
print(len(sim.frames), "frames sent, Doppler from", round(sim.frames[0].doppler_hz),
      "to", round(sim.frames[-1].doppler_hz), "Hz")'''),
    md("""
## Compensate and decode

The Doppler stage mixes every sample down by the Doppler predicted for its time, ahead of
the receiver, and adds the prediction back to each frame's offset afterwards, so
`freq_offset_hz` stays relative to the tuned frequency; `residual_hz` is what the receiver
measured after compensation.
"""),
    code('''
stage = make_doppler_stage(str(TLE), SAT, STATION, rec.info)
with rec.open_source() as src:
    stats = decode_source(src, "lora", options=LORA, stages=[stage])
frames = [f for f in stats.frame_list if f.crc_ok]
print(f"{len(frames)} of {len(sim.frames)} frames decoded in {stats.wall_s:.1f} s")
table = sdrlink.frames_to_dataframe(frames)
table[["time", "freq_offset_hz", "doppler_predicted_hz", "residual_hz", "elevation_deg", "text"]]'''),
    code('''
assert len(frames) >= len(sim.frames) - 1
assert max(abs(f.fields["residual_hz"]) for f in frames) < 30'''),
    md("""
## Measured against predicted

The predicted curve covers the whole pass; the decoded frames sit on it. Without
compensation the receiver still finds these short frames, but each offset is then measured
on a carrier that drifts during the frame; the lower panel compares the errors.
"""),
    code('''
t_pass = [p.aos + dt.timedelta(seconds=s) for s in np.arange(0, p.duration_s, 5.0)]
predicted = orbit.doppler(to_posix(t_pass), F_C)

plain = [f for f in sdrlink.decode(rec, "lora", **LORA) if f.crc_ok]
fig, (top, bottom) = plt.subplots(2, 1, figsize=(9, 7), sharex=True, layout="constrained")
sdrlink.plot.doppler_pass(frames, predicted=(t_pass, predicted), ax=top)
top.set_title(f"{SAT} pass, {F_C / 1e6} MHz")


def seconds(t):
    return (t - t_pass[0]).total_seconds()


for label, fs, marker in (("compensated", frames, "o"), ("not compensated", plain, "x")):
    truth = orbit.doppler(to_posix([f.time for f in fs]), F_C)
    err = np.array([f.freq_offset_hz for f in fs]) - truth
    bottom.plot([seconds(f.time) for f in fs], err, marker, label=label)
bottom.axhline(0, color="k", linewidth=0.5)
bottom.set_ylabel("measured - predicted (Hz)")
bottom.set_xlabel("time from AOS (s)")
bottom.legend();'''),
    md("""
One frame near TCA on the waterfall, without compensation: a zoom of 0.6 s with a short FFT.
"""),
    code('''
mid = frames[len(frames) // 2]
t0 = mid.sample_index / rec.sample_rate
ax = sdrlink.plot.waterfall(rec, [mid], start_s=t0 - 0.05, dur_s=0.6, nfft=128)
ax.set_title(f"frame at {mid.time:%H:%M:%S}: {mid.freq_offset_hz:+.0f} Hz");'''),
    code(CLEANUP),
]

# --------------------------------------------------------------------------- 04
FSK = [
    md("""
# FSK satellite telemetry

Many CubeSats send 9600 Bd FSK with GomSpace AX100 framing (ASM + Golay-coded length,
Reed-Solomon), and ground stations often keep only the FM receiver's audio output. This
notebook makes such a recording with sdrlink's FSK modulator, decodes it, and looks at the
demodulator's eye diagram and soft bits. If the real recording of 1KUNS-PF from `../shared`
is present, it is decoded too.
"""),
    code(SETUP),
    code('''
from sdrlink.protocols.fsk import make_params, modulate_audio
from sdrlink.protocols.fsk.demodulator import ClockRecovery, FrontEnd
from sdrlink.sources.writer import SigMFWriter

FS = 48e3
OPTIONS = {"baud": 9600, "framing": "ax100"}
params = make_params(OPTIONS)
payloads = [bytes([0x82, 0x92, i]) + b" telemetry frame %d: battery 7.%d V" % (i, i) for i in range(3)]

rng = np.random.default_rng(4)
gap = np.zeros(int(0.15 * FS), np.float32)
audio = np.concatenate([gap] + [np.concatenate([modulate_audio(params, p, FS), gap])
                                for p in payloads])
audio = (0.5 * audio + rng.normal(0, 0.12, len(audio))).astype(np.float32)

with SigMFWriter(WORK / "fsk_pass", sample_rate=FS, datatype="rf32_le",
                 description="simulated 9600 Bd AX100 FSK, FM discriminator audio") as w:
    w.write(audio)
rec = sdrlink.open(WORK / "fsk_pass.sigmf-meta")
rec'''),
    md("## Decode"),
    code('''
frames = sdrlink.decode(rec, "fsk", **OPTIONS)
assert [f.payload for f in frames] == payloads
sdrlink.frames_to_dataframe(frames)[
    ["sample_index", "symbol_snr_db", "crc_ok", "length", "rs_corrected", "text"]
]'''),
    code('''
ax = sdrlink.plot.waterfall(rec, frames, nfft=256)
ax.set_title("audio spectrum: three frames");'''),
    md("""
## What the demodulator sees

The receiver's front end filters the audio (matched filter); its output crosses zero between
bits of opposite value. The eye diagram overlays two-bit stretches of it: a wide-open eye
means bits are easy to tell apart. The clock recovery then samples one soft value per bit,
whose histogram has two humps, one per bit value.
"""),
    code('''
front = FrontEnd(params, FS, is_complex=False)
freq = front.process(rec.samples())  # one value per input sample here (no decimation)
sps = front.out_rate / params.baud
# the bits of each frame after its sync word (sample_index), as the receiver saw them
spans = [(f.sample_index, f.sample_index + int(8 * len(f.payload) * sps)) for f in frames]
fig, (a, b) = plt.subplots(1, 2, figsize=(11, 4), layout="constrained")
sdrlink.plot.eye_diagram(np.concatenate([freq[i:j] for i, j in spans]), sps, ax=a)
soft = np.concatenate([ClockRecovery(sps).process(freq[i:j])[0] for i, j in spans])
sdrlink.plot.soft_bit_histogram(soft, ax=b)
assert np.mean(np.abs(soft) > 0.2) > 0.95  # two clean humps, few doubtful bits'''),
    md("""
## A real pass (optional)

`../shared/recordings/1kuns_pf.wav` is a real 1KUNS-PF pass (48 kHz FM audio), used by the
test suite when present. It is not part of the package, so this cell skips itself without it.
"""),
    code('''
real = ROOT.parent / "shared" / "recordings" / "1kuns_pf.wav"
if real.exists():
    real_rec = sdrlink.open(real)
    print(real_rec)
    real_frames = sdrlink.decode(real_rec, "fsk", **OPTIONS)
    print(len(real_frames), "frames decoded")
    for f in real_frames:
        print(f)
    sdrlink.plot.waterfall(real_rec, real_frames, nfft=512)
else:
    print("no", real, "- skipped")'''),
    code(CLEANUP),
]

NOTEBOOKS = {
    "01_quickstart": QUICKSTART,
    "02_lora_inside": LORA_INSIDE,
    "03_doppler_pass": DOPPLER,
    "04_fsk_telemetry": FSK,
}


def build() -> None:
    for name, cells in NOTEBOOKS.items():
        nb = new_notebook(cells=cells)
        nb.metadata["kernelspec"] = {
            "name": "python3",
            "display_name": "Python 3",
            "language": "python",
        }
        nb.metadata["language_info"] = {"name": "python"}
        for i, cell in enumerate(nb.cells):
            cell["id"] = f"{name[:2]}-{i:02d}"
        nbformat.validate(nb)
        nbformat.write(nb, HERE / f"{name}.ipynb")
        print("wrote", HERE / f"{name}.ipynb")


if __name__ == "__main__":
    build()
