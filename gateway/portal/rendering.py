"""Pages: the Jinja2 environment (autoescape on), the security headers every page
carries, and the error page.

No page runs a script: the Content-Security-Policy allows none, styles come only from
the portal's own stylesheet, and forms may post only back to the portal. Upstream and
publisher text is escaped everywhere; only ``http``/``https`` URLs ever become links.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import jinja2
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.templating import Jinja2Templates

from gateway.errors import PortwayError

TEMPLATES = Path(__file__).parent / "templates"
STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "base-uri 'none'; frame-ancestors 'none'")
SECURITY_HEADERS = {
    "content-security-policy": CONTENT_SECURITY_POLICY,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "cache-control": "no-store",
}


def safe_url(value: object) -> str:
    """``value`` when it is an absolute http(s) URL, else "" (never ``javascript:``)."""
    if not isinstance(value, str):
        return ""
    try:
        parts = urlsplit(value.strip())
    except ValueError:
        return ""
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else ""


def pretty_json(value: object) -> str:
    """Indented JSON for a ``<pre>`` block (escaped by the template)."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str)


def when(value: object) -> str:
    """A stored time (seconds since the epoch) as UTC text; other values as they are."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    return "" if value is None else str(value)


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.ChainableUndefined, trim_blocks=True,
                             lstrip_blocks=True)
    env.filters["safe_url"] = safe_url
    env.filters["pretty_json"] = pretty_json
    env.filters["when"] = when
    return env


templates = Jinja2Templates(env=_environment())


def secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response


def render(request: Request, name: str, context: dict[str, Any], status: int = 200) -> Response:
    """Render template ``name`` with ``context`` (plus ``request``) and the headers."""
    response = templates.TemplateResponse(request, name, context, status_code=status)
    return secure(response)


def redirect(url: str) -> Response:
    """A 303 to ``url`` (after a form, the browser follows it with a GET)."""
    return secure(RedirectResponse(url, status_code=303))


def error_page(request: Request, status: int, code: str, message: str,
               details: list[Any] | None = None, context: dict[str, Any] | None = None
               ) -> Response:
    return render(request, "error.html", {**(context or {}), "status": status, "code": code,
                                          "message": message, "details": details or []},
                  status=status)


def error_of(request: Request, exc: PortwayError, context: dict[str, Any] | None = None
             ) -> Response:
    return error_page(request, exc.status_code, exc.code, exc.message, exc.details, context)


def html(text: str, status: int = 200) -> Response:
    return secure(HTMLResponse(text, status_code=status))
