"""The web server over plain HTTP: pages, the event stream, files, the token."""

from __future__ import annotations

import json
import tarfile
import urllib.error
import urllib.request

import numpy as np
import pytest

pytest.importorskip("aiohttp")

from sdrlink.errors import ConfigError  # noqa: E402
from sdrlink.sources.writer import SigMFWriter  # noqa: E402
from sdrlink.web.hub import Hub, spectrum_db  # noqa: E402
from sdrlink.web.server import WebServer, is_loopback, parse_bind  # noqa: E402


def get(url, headers=None):
    req = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read(), r.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read(), e.headers


def read_event(stream):
    event, data = None, []
    while True:
        line = stream.readline().decode()
        if line.startswith("event: "):
            event = line[7:].strip()
        elif line.startswith("data: "):
            data.append(line[6:])
        elif line == "\n" and event:
            return event, json.loads("".join(data))


@pytest.fixture
def served(tmp_path):
    hub = Hub("station", {"station": "t"})
    with WebServer(hub, "127.0.0.1", 0, files_dir=tmp_path) as server:
        yield hub, server, f"http://127.0.0.1:{server.port}"


def test_bind_parsing():
    assert parse_bind("127.0.0.1:8080") == ("127.0.0.1", 8080)
    assert parse_bind(":9000") == ("127.0.0.1", 9000)
    assert parse_bind("[::1]:81") == ("::1", 81)
    assert parse_bind("localhost") == ("localhost", 8080)
    with pytest.raises(ConfigError, match="bad port"):
        parse_bind("127.0.0.1:http")
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.0.2.1")


def test_pages_state_and_stream(served):
    hub, server, base = served
    assert server.token is None  # loopback: no token
    status, body, headers = get(base + "/")
    assert status == 200 and b'<canvas id="waterfall"' in body
    assert get(base + "/static/app.js")[0] == 200
    assert get(base + "/static/../server.py")[0] == 404
    hub.schedule([{"id": "p1", "satellite": "US01"}])
    state = json.loads(get(base + "/api/state")[1])
    assert state["schedule"][0]["id"] == "p1" and state["status"]["station"] == "t"
    with urllib.request.urlopen(base + "/events", timeout=10) as stream:
        assert stream.headers["Content-Type"] == "text/event-stream"
        event, snap = read_event(stream)
        assert event == "snapshot" and snap["schedule"][0]["id"] == "p1"
        hub.frame({"payload": "abcd", "satellite": "US01"})
        assert hub.spectrum(np.ones(4096, np.complex64), 437e6, 64e3)
        got = dict([read_event(stream), read_event(stream)])
        assert got["frame"]["payload"] == "abcd"
        assert len(got["spectrum"]["bins"]) == 512 and got["spectrum"]["level_db"] == 0.0


def test_files_and_sigmf_archive(served, tmp_path):
    _, _, base = served
    x = (np.arange(3000) % 7 - 3).astype(np.float32) * (0.1 + 0.05j)
    with SigMFWriter(tmp_path / "p1", sample_rate=64e3, center_freq=437e6) as w:
        w.write(x.astype(np.complex64))
    (tmp_path / ".hidden.tmp").write_text("x")
    assert get(base + "/files/p1.sigmf-meta")[0] == 200
    assert get(base + "/files/.hidden.tmp")[0] == 404
    assert get(base + "/files/..%2Fp1.sigmf-meta")[0] == 404
    assert get(base + "/files/nothere.sigmf")[0] == 404
    status, body, headers = get(base + "/files/p1.sigmf")
    assert status == 200 and "p1.sigmf" in headers["Content-Disposition"]
    archive = tmp_path / "dl.sigmf"
    archive.write_bytes(body)
    assert len(body) == int(headers["Content-Length"])
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == ["p1/p1.sigmf-data", "p1/p1.sigmf-meta"]
    import sdrlink

    rec = sdrlink.open(str(archive))
    np.testing.assert_allclose(rec.at(0, 3000 / 64e3), x, atol=1e-7)


def test_token_off_loopback(tmp_path):
    hub = Hub("station")
    with WebServer(hub, "0.0.0.0", 0, files_dir=tmp_path) as server:
        assert server.token and len(server.token) >= 20  # generated
        assert f"?token={server.token}" in server.url
        base = f"http://127.0.0.1:{server.port}"
        for path in ("/", "/events", "/api/state", "/static/app.js", "/files/x"):
            assert get(base + path)[0] == 401, path
        assert get(base + "/api/state?token=wrong")[0] == 401
        assert get(base + "/api/state", {"Authorization": "Bearer wrong"})[0] == 401
        status, _, headers = get(base + f"/?token={server.token}")
        assert status == 200 and "sdrlink_token=" in headers["Set-Cookie"]
        cookie = headers["Set-Cookie"].split(";")[0]
        assert get(base + "/api/state", {"Cookie": cookie})[0] == 200
        assert get(base + "/api/state", {"Authorization": f"Bearer {server.token}"})[0] == 200
        with urllib.request.urlopen(base + f"/events?token={server.token}", timeout=10) as s:
            assert read_event(s)[0] == "snapshot"
    with WebServer(hub, "127.0.0.1", 0, token="secret") as server:  # asked for on loopback
        assert get(f"http://127.0.0.1:{server.port}/api/state")[0] == 401
        assert get(f"http://127.0.0.1:{server.port}/api/state?token=secret")[0] == 200


def test_busy_port_is_a_config_error():
    with WebServer(Hub(), "127.0.0.1", 0) as first:
        with pytest.raises(ConfigError, match="cannot listen"):
            WebServer(Hub(), "127.0.0.1", first.port).start()


def test_spectrum_shows_a_tone():
    n = np.arange(8192)
    db = spectrum_db(np.exp(2j * np.pi * 0.25 * n).astype(np.complex64))
    assert int(np.argmax(db)) == 384  # +fs/4 -> three quarters across (DC in the middle)
    assert db.max() == pytest.approx(0.0, abs=0.5) and np.median(db) < -60
