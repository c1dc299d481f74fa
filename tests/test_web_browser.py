"""The station's page in a real browser (Debian's chromium, driven by Playwright).

A station runs on simulated passes on a clock four times faster than the wall
clock, serving its page; the browser must show the schedule, every frame
within 2 s of its decoding, a moving waterfall, and a recording link that
downloads a valid SigMF archive. Bound off loopback, a request without the
token is refused.
"""

from __future__ import annotations

import datetime as dt
import os
import threading

import pytest
from station_util import START, config_text, write_tles

from sdrlink.catalogue import find_satellite

pytest.importorskip("aiohttp")

ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser(chromium_path):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path, args=ARGS)
        yield b
        b.close()


def first_pass(cfg):
    from sdrlink.station import GroundStation, SimClock
    from sdrlink.station.simradio import SimulatedRadio

    clock = SimClock(START)
    probe = GroundStation(
        cfg, clock=clock, radio=SimulatedRadio(clock, cfg.station, 64e3), out=lambda m: None
    )
    probe.refresh_tles()
    probe.replan(announce=False)
    return probe.next_pass()


@pytest.fixture
def live_station(tmp_path):
    from sdrlink.station import GroundStation, ScaledClock, parse_config
    from sdrlink.station.simradio import SimulatedRadio
    from sdrlink.web.hub import Hub
    from sdrlink.web.server import WebServer

    write_tles(tmp_path / "sats.tle")
    cfg = parse_config(config_text(str(tmp_path / "sats.tle"), str(tmp_path / "out")), tmp_path)
    plan = first_pass(cfg)
    clock = ScaledClock(plan.aos - dt.timedelta(seconds=2), speed=4.0)
    radio = SimulatedRadio(
        clock,
        cfg.station,
        cfg.sdr.rate,
        capture_s=14.0,
        frames=5,
        first_s=1.5,
        interval_s=2.5,
        workdir=tmp_path,
    )
    hub = Hub("station")
    station = GroundStation(cfg, clock=clock, radio=radio, hub=hub, out=lambda m: None)
    server = WebServer(hub, "127.0.0.1", 0, files_dir=cfg.passes_dir).start()
    result: dict = {}
    thread = threading.Thread(
        target=lambda: result.update(summary=station.run(max_passes=1)), daemon=True
    )
    yield station, radio, hub, server, thread, result, plan
    station.stop()
    thread.join(timeout=30)
    server.stop()


def test_page_follows_the_station(browser, live_station, tmp_path):
    station, radio, hub, server, thread, result, plan = live_station
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    errors = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"http://127.0.0.1:{server.port}/")
    page.wait_for_function("document.body.dataset.connected === '1'", timeout=10000)
    thread.start()  # the station starts once the page is watching

    # the schedule renders: the pass being taken first, as the station planned it
    page.wait_for_function("+document.getElementById('schedule').dataset.rows > 3", timeout=15000)
    first = page.locator(f"#schedule tr[data-id='{plan.id}']")
    first.wait_for(timeout=10000)
    assert plan.satellite in first.inner_text()
    assert page.locator("#schedule tbody tr").count() == len(
        [p for p in station.schedule if p.los > plan.aos - dt.timedelta(hours=2)][:40]
    )

    # frames appear within 2 s of being decoded
    page.wait_for_function("+document.body.dataset.frames >= 5", timeout=30000)
    thread.join(timeout=30)
    assert not thread.is_alive()
    (r,) = result["summary"].results
    assert r.status == "done" and r.valid_frames == 5
    shown = page.eval_on_selector_all(
        "#frames tbody tr", "rows => rows.map(r => [r.dataset.payload, +r.dataset.shownAt])"
    )
    shown_at = dict(shown)
    published = {rec["payload"]: t for t, _, rec in hub.published}
    assert set(shown_at) == {f.payload.hex() for f in r.frames} == set(published)
    delays = [shown_at[p] / 1000 - published[p] for p in published]
    assert max(delays) < 2.0, delays
    row = page.locator(f"#frames tr[data-payload='{r.frames[0].payload.hex()}']").inner_text()
    assert r.frames[0].payload.decode() in row and "ok" in row and plan.satellite in row

    # the waterfall moved while the pass ran, and is not blank
    spectra = int(page.evaluate("document.body.dataset.spectra"))
    assert spectra >= 10
    stats = page.evaluate(
        """() => { const c = document.getElementById('waterfall');
        const d = c.getContext('2d').getImageData(0, 0, c.width, 20).data;
        const rows = []; for (let y = 0; y < 20; y++) { let s = 0;
          for (let x = 0; x < c.width; x++) s += d[4 * (y * c.width + x) + 2]; rows.push(s); }
        return rows; }"""
    )
    assert len(set(stats)) > 10  # rows differ from each other: it scrolled new spectra in

    # the recording link downloads a valid SigMF archive
    link = page.locator(f"#recordings tr[data-id='{r.id}'] a.sigmf")
    link.wait_for(timeout=10000)
    with page.expect_download() as dl:
        link.click()
    target = tmp_path / "download.sigmf"
    dl.value.save_as(target)
    import sdrlink

    rec = sdrlink.open(str(target))
    assert rec.num_samples == r.samples
    assert plan.aos <= rec.start_time < plan.aos + dt.timedelta(seconds=10)  # joined at AOS
    f0 = r.frames[0]
    assert rec.start_time + dt.timedelta(seconds=f0.sample_index / 64e3) == f0.time
    assert rec.center_freq == find_satellite(plan.satellite).frequency_hz
    assert not errors, errors

    if os.environ.get("SDRLINK_SCREENSHOT"):
        page.screenshot(path=os.environ["SDRLINK_SCREENSHOT"], full_page=True)


def test_page_refused_without_token_off_loopback(browser, tmp_path):
    from sdrlink.web.hub import Hub
    from sdrlink.web.server import WebServer

    hub = Hub("station", {"station": "remote"})
    with WebServer(hub, "0.0.0.0", 0, files_dir=tmp_path) as server:
        page = browser.new_page()
        base = f"http://127.0.0.1:{server.port}/"
        resp = page.goto(base)
        assert resp.status == 401 and "token" in page.content()
        assert page.request.get(base + "events").status == 401
        resp = page.goto(base + f"?token={server.token}")
        assert resp.status == 200
        page.wait_for_function("document.body.dataset.connected === '1'", timeout=10000)
        assert page.locator("#station-name").inner_text() == "remote"
        # the cookie carries the token to later requests
        assert page.request.get(base + "api/state").status == 200
