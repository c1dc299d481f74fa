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
