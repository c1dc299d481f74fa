"""The station's web page: one page, updated by server-sent events (aiohttp).

Routes: ``/`` the page, ``/static/NAME`` its script and style (package data,
no CDN: stations are often offline), ``/events`` the event stream (first a
snapshot of the hub, then every change), ``/api/state`` the snapshot as
JSON, ``/files/NAME`` a pass's recording or frame export from the output
folder, and ``/files/ID.sigmf`` the recording as one SigMF archive (a tar of
its metadata and data, streamed).

The server binds to loopback unless told otherwise. Bound anywhere else it
requires a token on every request and stream: ``?token=T`` (the page then
keeps it in a cookie), ``Authorization: Bearer T`` or that cookie. It runs
its own asyncio loop on a background thread, so the radio thread only ever
calls the hub.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import json
import re
import secrets
import socket
import tarfile
import threading
from importlib import resources
from pathlib import Path
from typing import Any

from sdrlink.errors import ConfigError

COOKIE = "sdrlink_token"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.\-]*$")
_STATIC = {"app.js": "text/javascript", "style.css": "text/css", "index.html": "text/html"}
_END = object()


def parse_bind(text: str, default_port: int = 8080) -> tuple[str, int]:
    """``HOST:PORT``, ``:PORT`` or ``HOST`` (IPv6 as ``[::1]:8080``); ConfigError when bad."""
    t = text.strip()
    if t.startswith(":"):
        t = "127.0.0.1" + t
    host, port = t, default_port
    if t.startswith("["):
        host, _, rest = t[1:].partition("]")
        if rest.startswith(":"):
            port = _port(rest[1:], text)
    elif t.count(":") == 1:
        host, p = t.split(":")
        port = _port(p, text)
    if not host:
        raise ConfigError(f"--web {text!r}: give HOST:PORT, e.g. 127.0.0.1:8080")
    return host, port


def _port(p: str, text: str) -> int:
    try:
        port = int(p)
    except ValueError:
        port = -1
    if not 0 <= port < 65536:
        raise ConfigError(f"--web {text!r}: bad port")
    return port


def is_loopback(host: str) -> bool:
    """True when every address ``host`` names is a loopback address."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    return bool(infos) and all(ipaddress.ip_address(i[4][0]).is_loopback for i in infos)


def _aiohttp():
    try:
        from aiohttp import web
    except ImportError:
        raise ConfigError(
            "the web page needs aiohttp: pip install 'sdrlink[station]' "
            "(or run bash scripts/setup.sh)"
        ) from None
    return web


def _static(name: str) -> bytes:
    return resources.files("sdrlink.web").joinpath("static", name).read_bytes()


def _sse(event: str, data: Any) -> bytes:
    text = json.dumps(data, separators=(",", ":"), default=str, allow_nan=False)
    return f"event: {event}\ndata: {text}\n\n".encode()


def _tar_header(name: str, size: int, mtime: float) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.mtime, info.mode = size, int(mtime), 0o644
    return info.tobuf(format=tarfile.USTAR_FORMAT)


class WebServer:
    """Serves ``hub`` on ``host:port`` (see the module docstring).

    ``token`` None on a loopback address means no token; on any other address
    one is generated (read it from ``token`` and show it to the user).
    ``files_dir`` is the folder whose recordings and exports are served.
    """

    def __init__(
        self,
        hub: Any,
        host: str = "127.0.0.1",
        port: int = 8080,
        *,
        token: str | None = None,
        files_dir: Path | None = None,
    ) -> None:
        _aiohttp()
        self.hub = hub
        self.host, self.port = host, int(port)
        if token is not None and not token.strip():
            raise ConfigError("--web-token must not be empty")
        if token is None and not is_loopback(host):
            token = secrets.token_urlsafe(18)
        self.token = token
        self.files_dir = files_dir
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._runner: Any = None
        self._streams: set[asyncio.Queue] = set()

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if host in ("0.0.0.0", "[::]"):
            host = socket.gethostname()
        base = f"http://{host}:{self.port}/"
        return base + (f"?token={self.token}" if self.token else "")

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> WebServer:
        self._thread = threading.Thread(target=self._main, name="sdrlink-web", daemon=True)
        self._thread.start()
        self._ready.wait(15.0)
        if self._error is not None:
            raise self._error
        if not self._ready.is_set():
            raise ConfigError(f"web server on {self.host}:{self.port} did not start")
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None or self._thread is None:
            return
        fut = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        try:
            fut.result(timeout=10.0)
        except Exception:  # noqa: S110 - stopping either way
            pass
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout=10.0)

    def __enter__(self) -> WebServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(self._startup())
        except OSError as exc:
            self._error = ConfigError(
                f"web server cannot listen on {self.host}:{self.port} ({exc.strerror or exc})"
            )
            self._ready.set()
            loop.close()
            return
        except BaseException as exc:
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.close()

    async def _startup(self) -> None:
        web = _aiohttp()
        app = web.Application(middlewares=[self._auth])
        app.router.add_get("/", self._index)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/events", self._events)
        app.router.add_get("/api/state", self._state)
        app.router.add_get("/files/{name}", self._file)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, self.host, self.port)
        await site.start()
        self._runner = runner
        if self.port == 0 and runner.addresses:
            self.port = int(runner.addresses[0][1])

    async def _shutdown(self) -> None:
        for q in list(self._streams):
            q.put_nowait(_END)
        if self._runner is not None:
            await self._runner.cleanup()

    # -- handlers ----------------------------------------------------------------------------

    def _authorised(self, request: Any) -> bool:
        if not self.token:
            return True
        given = request.query.get("token")
        auth = request.headers.get("Authorization", "")
        if not given and auth.startswith("Bearer "):
            given = auth[7:].strip()
        if not given:
            given = request.cookies.get(COOKIE)
        return bool(given) and hmac.compare_digest(str(given), self.token)

    @property
    def _auth(self):
        web = _aiohttp()

        @web.middleware
        async def auth(request, handler):
            if not self._authorised(request):
                return web.Response(
                    status=401,
                    text="sdrlink: this station's page needs its token (?token=...)\n",
                    headers={"WWW-Authenticate": "Bearer"},
                )
            return await handler(request)

        return auth

    async def _index(self, request):
        web = _aiohttp()
        resp = web.Response(body=_static("index.html"), content_type="text/html")
        resp.headers["Cache-Control"] = "no-store"
        if self.token and request.query.get("token"):
            resp.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict")
        return resp

    async def _static(self, request):
        web = _aiohttp()
        name = request.match_info["name"]
        if name not in _STATIC:
            raise web.HTTPNotFound()
        return web.Response(body=_static(name), content_type=_STATIC[name])

    async def _state(self, request):
        web = _aiohttp()
        text = json.dumps(self.hub.snapshot(), default=str)
        return web.Response(text=text, content_type="application/json")

    async def _events(self, request):
        web = _aiohttp()
        resp = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-cache",
                "X-Accel-Buffering": "no",
            }
        )
        await resp.prepare(request)
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue = asyncio.Queue(maxsize=2000)
        self._streams.add(queue)

        def put(item: Any) -> None:
            if queue.full():  # a stalled browser: drop the oldest update
                try:
                    queue.get_nowait()
                except asyncio.QueueEmpty:
                    pass
            queue.put_nowait(item)

        def push(event: str, data: Any) -> None:
            loop.call_soon_threadsafe(put, (event, data))

        cancel = self.hub.subscribe(push)
        try:
            await resp.write(_sse("snapshot", self.hub.snapshot()))
            while True:
                try:
                    item = await asyncio.wait_for(queue.get(), 15.0)
                except asyncio.TimeoutError:
                    await resp.write(b": keep-alive\n\n")
                    continue
                if item is _END:
                    break
                await resp.write(_sse(*item))
        except (ConnectionResetError, asyncio.CancelledError):
            pass
        finally:
            cancel()
            self._streams.discard(queue)
        return resp

    async def _file(self, request):
        web = _aiohttp()
        name = request.match_info["name"]
        folder = self.files_dir
        if folder is None or not _SAFE_NAME.match(name):
            raise web.HTTPNotFound()
        if name.endswith(".sigmf"):
            return await self._archive(request, folder, name[: -len(".sigmf")])
        path = folder / name
        if not path.is_file():
            raise web.HTTPNotFound()
        kind = {
            ".sigmf-meta": "application/json",
            ".jsonl": "application/x-ndjson",
            ".csv": "text/csv",
        }.get("." + name.rsplit(".", 1)[-1], "application/octet-stream")
        return web.FileResponse(path, headers={"Content-Type": kind})

    async def _archive(self, request, folder: Path, base: str):
        """A SigMF archive (tar: ``base/base.sigmf-meta`` and ``-data``), streamed."""
        web = _aiohttp()
        meta, data = folder / f"{base}.sigmf-meta", folder / f"{base}.sigmf-data"
        if not (meta.is_file() and data.is_file()):
            raise web.HTTPNotFound()
        parts = [(meta, meta.stat()), (data, data.stat())]
        total = sum(512 + -(-st.st_size // 512) * 512 for _, st in parts) + 1024
        resp = web.StreamResponse(
            headers={
                "Content-Type": "application/x-tar",
                "Content-Disposition": f'attachment; filename="{base}.sigmf"',
                "Content-Length": str(total),
            }
        )
        await resp.prepare(request)
        for path, st in parts:
            await resp.write(_tar_header(f"{base}/{path.name}", st.st_size, st.st_mtime))
            left = st.st_size
            with open(path, "rb") as f:
                while left > 0:
                    chunk = f.read(min(1 << 20, left))
                    if not chunk:
                        chunk = b"\0" * left  # the file shrank: keep the archive well-formed
                    await resp.write(chunk)
                    left -= len(chunk)
            pad = -st.st_size % 512
            if pad:
                await resp.write(b"\0" * pad)
        await resp.write(b"\0" * 1024)
        await resp.write_eof()
        return resp
