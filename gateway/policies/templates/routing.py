"""``dynamichosturl`` and ``routerequesttoendpoint``: where the request goes.

``dynamichosturl`` (and its older name ``dynamicsubdomain``) replaces the connector's
base URL with ``urlTemplate``, e.g. ``https://@connectionParameters('region').api.com``;
a result without a scheme gets ``https://``.
``routerequesttoendpoint`` replaces the operation path with ``newPath`` (relative to the
base URL; ``{name}`` placeholders take the call's path parameter values) and, unless
``httpMethod`` is absent or ``@Request.OriginalHTTPMethod``, the method.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlsplit

from gateway.policies.errors import PolicyExecutionError
from gateway.policies.templates._common import CompiledPolicy, Parameters, PolicyCall

_PLACEHOLDER = re.compile(r"\{([^{}@]+)\}")
_ORIGINAL_METHOD = "@request.originalhttpmethod"
_METHODS = frozenset({"GET", "PUT", "POST", "PATCH", "DELETE", "HEAD", "OPTIONS"})


def compile_dynamichosturl(params: Parameters) -> CompiledPolicy:
    """Compile a ``dynamichosturl`` instance."""
    template = params.text("urlTemplate")
    section = params.section("request", ("request",))

    def apply(call: PolicyCall) -> None:
        url = call.string(template).strip()
        if url and "://" not in url:
            url = "https://" + url  # a bare host name, as connection parameters often hold
        parts = urlsplit(url)
        if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
            raise PolicyExecutionError(
                f"policy {params.policy.template!r} ({params.policy.title or 'untitled'}) "
                "built a host URL that is not an absolute http(s) URL",
                details=[{"template": params.policy.template, "title": params.policy.title}])
        base, _, query = url.split("#", 1)[0].partition("?")
        call.request.base_url = base
        if query:  # a template may carry fixed query parameters after the host URL
            call.request.query.extend(parse_qsl(query, keep_blank_values=True))

    return params.compiled(section, apply)


def compile_routerequesttoendpoint(params: Parameters) -> CompiledPolicy:
    """Compile a ``routerequesttoendpoint`` instance."""
    new_path = params.text("newPath")
    method = params.string("httpMethod", required=False).strip()
    if method.lower() == _ORIGINAL_METHOD:
        method = ""
    method = method.upper()
    if method and method not in _METHODS:
        raise params.error("httpMethod is not an HTTP method",
                           "x-ms-apimTemplateParameter.httpMethod")
    section = params.section("request", ("request",))

    def apply(call: PolicyCall) -> None:
        request = call.request
        path = call.string(new_path)

        def fill(match: re.Match[str]) -> str:
            name = match.group(1)
            value = request.path_parameters.get(name)
            if value is None:
                return match.group(0)
            return quote(str(value), safe="")

        path, _, query = _PLACEHOLDER.sub(fill, path).partition("?")
        request.path = "/" + path.lstrip("/")
        if query:
            request.query.extend(parse_qsl(query, keep_blank_values=True))
        if method:
            request.method = method

    return params.compiled(section, apply)
