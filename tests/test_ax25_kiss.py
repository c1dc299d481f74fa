"""KISS sink: escaping, framing, only AX.25 frames with a valid CRC."""

from __future__ import annotations

from sdrlink.frame import Frame
from sdrlink.sinks.kiss import KissSink, kiss_decode_stream, kiss_escape, kiss_frame


def test_kiss_escaping():
    assert kiss_escape(b"\xc0\xdb\x01") == b"\xdb\xdc\xdb\xdd\x01"
    assert kiss_frame(b"\xc0") == b"\xc0\x00\xdb\xdc\xc0"
    assert kiss_decode_stream(kiss_frame(b"a\xc0b\xdbc") + kiss_frame(b"xyz")) == [
        b"a\xc0b\xdbc",
        b"xyz",
    ]


def test_kiss_sink_writes_ax25_frames_only(tmp_path):
    path = tmp_path / "out.kiss"
    sink = KissSink(path)
    good = Frame("fsk", 0, b"\x82\xa0\xc0\xdb", True, fields={"framing": "ax25"})
    bad = Frame("fsk", 1, b"\x01\x02", False, fields={"framing": "ax25"})
    other = Frame("fsk", 2, b"\x03", True, fields={"framing": "ax100"})
    for f in (good, bad, other):
        sink.write(f)
    sink.close()
    data = path.read_bytes()
    assert data == b"\xc0\x00\x82\xa0\xdb\xdc\xdb\xdd\xc0"
    assert kiss_decode_stream(data) == [good.payload]


def test_kiss_frames_of_every_port_round_trip():
    """Found by benchmarks/fuzz.py: port 12's type byte is 0xC0 (FEND) and ended the frame
    before its payload unless escaped like the rest."""
    from sdrlink.sinks.kiss import FEND, FESC, TFEND, kiss_decode_stream, kiss_frame

    payloads = [b"abc", bytes([FEND, FESC]), b""]
    for port in range(16):
        stream = b"".join(kiss_frame(p, port) for p in payloads)
        assert kiss_decode_stream(stream) == payloads, port
    assert kiss_frame(b"x", 12) == bytes([FEND, FESC, TFEND, ord("x"), FEND])
    assert kiss_frame(b"x", 0) == bytes([FEND, 0, ord("x"), FEND])  # port 0 unchanged
