"""httpx for tests, with one TLS context for every client.

httpx builds a fresh TLS context for each client it makes, loading the whole CA bundle
(about 0.1 s of CPU each time); a test suite that opens thousands of clients spent minutes
on it. These wrappers take the same arguments as httpx's and share ``TLS`` unless a test
passes its own ``verify``.
"""

from __future__ import annotations

import ssl
from typing import Any

import httpx

TLS = ssl.create_default_context()


def Client(**kwargs: Any) -> httpx.Client:
    kwargs.setdefault("verify", TLS)
    return httpx.Client(**kwargs)


def request(method: str, url: str, **kwargs: Any) -> httpx.Response:
    kwargs.setdefault("verify", TLS)
    return httpx.request(method, url, **kwargs)


def get(url: str, **kwargs: Any) -> httpx.Response:
    return request("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> httpx.Response:
    return request("POST", url, **kwargs)


def put(url: str, **kwargs: Any) -> httpx.Response:
    return request("PUT", url, **kwargs)
