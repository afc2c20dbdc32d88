"""Portway's own HTTP/1.1 server for the ASGI app (``server.engine = "portway"``).

Why a server of its own: the data plane's throughput, and strict parsing. On the bench's
proxied call (``bench/proxy.py``) it costs less CPU per request than granian or
hypercorn in front of the same app, and its parser (llhttp, strict) refuses what those
two accept (bare-LF line endings), answering every refusal in the one error shape
(docs/security.md, docs/proxy.md).

* ``protocol``: one connection, its requests and answers (``HttpProtocol``).
* ``lifespan``: the app's start-up and shutdown (the ASGI lifespan protocol).
* ``runner``: the listening socket, worker processes, signals, the graceful stop, the
  connection cap.
"""

from gateway.server.runner import connection_cap, listen, serve

__all__ = ["connection_cap", "listen", "serve"]
