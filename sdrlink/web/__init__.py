"""The station's web page: the hub that collects what to show, and the aiohttp server."""

from sdrlink.web.hub import Hub

__all__ = ["Hub"]
