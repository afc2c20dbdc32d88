"""``updatenextlink``: make a paged response's next link point back through the gateway.

The upstream's next link names the upstream; a client must follow it through this
connection (which holds the credentials). A link under the request's base URL becomes
the same path under ``PolicyRequest.gateway_base_url``; a relative link is resolved
against the request URL first; a link to another origin is left as it is.
"""

from __future__ import annotations

from urllib.parse import urljoin, urlsplit

from gateway.policies.paths import parse_sub_path, read, write
from gateway.policies.templates._common import CompiledPolicy, Parameters, PolicyCall


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def rewrite_link(link: str, request_url: str, base_url: str, gateway_base_url: str) -> str:
    """Return ``link`` rewritten to go through ``gateway_base_url`` when it can be."""
    absolute = urljoin(request_url, link)
    if _origin(absolute) != _origin(base_url):
        return link
    base_path = urlsplit(base_url).path.rstrip("/")
    parts = urlsplit(absolute)
    if base_path and not (parts.path == base_path or parts.path.startswith(base_path + "/")):
        return link
    rest = parts.path[len(base_path):]
    rewritten = gateway_base_url.rstrip("/") + "/" + rest.lstrip("/")
    return rewritten + ("?" + parts.query if parts.query else "")


def compile_updatenextlink(params: Parameters) -> CompiledPolicy:
    """Compile an ``updatenextlink`` instance (response section)."""
    name = params.string("nextLinkPropertyName")
    try:
        keys = parse_sub_path(name) if name.startswith("[") else (name,)
    except ValueError as error:
        raise params.error(f"not a property path: {error}",
                           "x-ms-apimTemplateParameter.nextLinkPropertyName") from None
    section = params.section("response", ("response",))

    def apply(call: PolicyCall) -> None:
        request = call.request
        body = call.body
        link = read(body, keys)
        if not isinstance(link, str) or not link or not request.gateway_base_url:
            return
        write(body, keys, rewrite_link(link, request.url, request.base_url,
                                       request.gateway_base_url))

    return params.compiled(section, apply, uses_body=True)
