"""An importable ASGI app for servers that take ``module:attribute`` (granian, hypercorn)."""

from gateway.app import create_app

app = create_app()
