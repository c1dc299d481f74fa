"""The progress bar: silent off a terminal, percentage and bar on one."""

import io

from sdrlink.progress import Progress, bar


def test_bar_fills_in_proportion():
    assert bar(0.5, width=10) == "[#####-----]"
    assert bar(1.7, width=4) == "[####]" and bar(-1, width=4) == "[----]"


def test_progress_draws_percentage_and_ends_its_line():
    out = io.StringIO()
    p = Progress(1000, 100.0, label="decoding", stream=out, force=True, hz=1e9)
    p(250)
    p(1000)
    p.close()
    text = out.getvalue()
    assert "decoding [#######" in text and " 25.0%" in text and "100.0%" in text
    assert text.endswith("\n") and text.count("\r") == 2


def test_progress_is_silent_when_not_a_terminal():
    out = io.StringIO()  # isatty() is False
    p = Progress(1000, 100.0, stream=out)
    p(500)
    p.close()
    assert out.getvalue() == ""


def test_frame_lines_wipe_the_progress_line_first():
    """On a terminal the bar and the frame lines share a screen: never on one line."""
    import io

    from sdrlink.progress import ClearsLine, Progress
    from sdrlink.sinks import TerminalSink

    screen = io.StringIO()  # stdout and stderr of one terminal
    bar = Progress(1000, 100.0, label="decoding", stream=screen, force=True, hz=1e9)
    sink = TerminalSink(stream=ClearsLine(screen, bar))
    bar(100)
    sink.write(_frame())
    bar(200)
    text = screen.getvalue()
    before_frame = text.split("2026-")[0]
    assert before_frame.endswith("\r\x1b[K"), repr(before_frame[-40:])
    lines = text.split("\n")
    assert lines[0].split("\r\x1b[K")[-1].startswith("2026-")  # the frame line alone


def test_frame_lines_without_time_keep_the_columns():
    from sdrlink.sinks.terminal import format_frame

    timed, untimed = _frame(), _frame()
    untimed.time = None
    a, b = format_frame(timed), format_frame(untimed)
    assert a.index(" Hz") == b.index(" Hz")


def _frame():
    import datetime as dt

    from sdrlink.frame import Frame

    t = dt.datetime(2026, 11, 1, 12, 0, 0, 250000, tzinfo=dt.timezone.utc)
    return Frame("lora", 1234, b"hi", True, 100.0, 3.0, time=t, fields={"sf": 7})


def test_unmeasured_numbers_print_as_a_dash_in_their_column():
    from sdrlink.sinks.terminal import format_frame

    measured, audio = _frame(), _frame()
    audio.snr_db = float("nan")  # FSK from discriminator audio: no RF SNR
    audio.freq_offset_hz = float("nan")
    a, b = format_frame(measured), format_frame(audio)
    assert "nan" not in b and "- dB" in b and "- Hz" in b
    assert a.index(" dB") == b.index(" dB") and a.index(" Hz") == b.index(" Hz")


def test_summary_counts_frames_without_a_check():
    from sdrlink.pipeline import RunStats

    s = RunStats(frames=8, valid_frames=6, unchecked_frames=2)
    assert s.summary() == "8 frame(s), 6 with valid CRC, 2 without a check"
    assert RunStats(frames=3, valid_frames=3).summary() == "3 frame(s), 3 with valid CRC"
