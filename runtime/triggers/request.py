"""The Request trigger: signed callback URLs, and a call to one turned into trigger outputs.

A callback URL is Logic Apps Standard's: ``<base>/api/<workflow>/triggers/<trigger>/invoke
[/<relativePath>]?api-version=2022-05-01&sp=%2Ftriggers%2F<trigger>%2Frun&sv=1.0&sig=<sig>``.
``sig`` is HMAC-SHA256 (base64url, unpadded) over the workflow's name, the trigger's name,
``sp`` and ``sv``, keyed with the workflow's own signing key, sealed in the vault: no bearer
token is needed, a URL works for exactly one trigger, and rotating the key
(``portway workflows rotate-key``) or re-creating the workflow invalidates every URL given
out before.

The call's body is parsed as Logic Apps parses it: JSON content types become the value,
``text/plain`` a string, ``application/x-www-form-urlencoded`` ``{"$content-type",
"$content", "$formdata"}``, ``multipart/*`` ``{"$content-type", "$multipart"}``, anything
else ``{"$content-type", "$content"}`` (base64).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl, quote

import jsonschema_rs

from runtime.errors import SignatureInvalid, TriggerRequestInvalid

API_VERSION = "2022-05-01"
SIGNATURE_VERSION = "1.0"
#: Query parameters that carry the signature; they are not the run's ``queries``.
SIGNATURE_QUERIES = ("api-version", "sp", "sv", "sig")
_PARAM = re.compile(r"\{([^{}/]+)\}")

#: Canonical spellings of the headers .NET knows; other names stay as the server gave them.
_KNOWN = {name.lower(): name for name in (
    "Accept", "Accept-Charset", "Accept-Encoding", "Accept-Language", "Authorization",
    "Cache-Control", "Connection", "Cookie", "Date", "Expect", "From", "Host", "If-Match",
    "If-Modified-Since", "If-None-Match", "If-Range", "If-Unmodified-Since", "Max-Forwards",
    "Origin", "Pragma", "Proxy-Authorization", "Range", "Referer", "TE", "Trailer",
    "Transfer-Encoding", "Upgrade", "User-Agent", "Via", "Warning", "Allow",
    "Content-Disposition", "Content-Encoding", "Content-Language", "Content-Length",
    "Content-Location", "Content-MD5", "Content-Range", "Content-Type", "Expires",
    "Last-Modified")}
#: Headers .NET keeps on the content, not the request: listed after the others.
_CONTENT = frozenset({"allow", "content-disposition", "content-encoding", "content-language",
                      "content-length", "content-location", "content-md5", "content-range",
                      "content-type", "expires", "last-modified"})


def permission(trigger: str) -> str:
    return f"/triggers/{trigger}/run"


def sign(key: str, workflow: str, trigger: str, sp: str | None = None,
         sv: str = SIGNATURE_VERSION) -> str:
    message = "\n".join((workflow, trigger, sp or permission(trigger), sv)).encode("utf-8")
    digest = hmac.new(key.encode("utf-8"), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def response_permission(run_id: str) -> str:
    """What the polling URL of an asynchronous Response grants: reading one run's answer."""
    return f"/runs/{run_id}/response"


def check_signature(key: str | None, workflow: str, trigger: str,
                    queries: Mapping[str, str], granted: str | None = None) -> None:
    """Raises SignatureInvalid unless the queries carry a valid signature of this trigger
    for ``granted`` (default: running the trigger)."""
    sig = queries.get("sig")
    sp = queries.get("sp", "")
    sv = queries.get("sv", "")
    wanted = granted or permission(trigger)
    if not sig:
        raise SignatureInvalid("the request has no signature (sig): use the trigger's "
                               "callback URL")
    if key is None or sp.lower() != wanted.lower() or sv != SIGNATURE_VERSION \
            or not hmac.compare_digest(sig, sign(key, workflow, trigger, sp, sv)):
        raise SignatureInvalid("the request's signature is not valid for this trigger")


def signed_query(key: str, workflow: str, trigger: str, granted: str) -> str:
    """``api-version``, ``sp``, ``sv`` and ``sig`` as a query string."""
    queries = {"api-version": API_VERSION, "sp": granted, "sv": SIGNATURE_VERSION,
               "sig": sign(key, workflow, trigger, granted)}
    return "&".join(f"{k}={quote(v, safe='')}" for k, v in queries.items())


@dataclass(frozen=True)
class RequestTrigger:
    """A Request trigger's settings, read from its definition."""

    name: str
    method: str | None
    relative_path: str | None
    schema: Mapping[str, Any] | None
    validate_schema: bool

    @classmethod
    def of(cls, name: str, trigger: Mapping[str, Any]) -> RequestTrigger:
        inputs = trigger.get("inputs") if isinstance(trigger.get("inputs"), dict) else {}
        assert isinstance(inputs, dict)
        method = inputs.get("method")
        path = inputs.get("relativePath")
        schema = inputs.get("schema")
        options = trigger.get("operationOptions", "")
        return cls(name=name, method=method.upper() if isinstance(method, str) else None,
                   relative_path=path.strip("/") if isinstance(path, str) and path else None,
                   schema=schema if isinstance(schema, dict) and schema else None,
                   validate_schema="enableschemavalidation" in str(options).lower())

    def path_parameters(self) -> list[str]:
        return _PARAM.findall(self.relative_path or "")

    def match_path(self, rest: str) -> dict[str, str] | None:
        """``relativePathParameters`` for the path after ``/invoke``, or None."""
        template = self.relative_path or ""
        given = rest.strip("/")
        if not template:
            return {} if not given else None
        pattern = "".join(
            f"(?P<p{i}>[^/]+)" if part.startswith("{") else re.escape(part)
            for i, part in enumerate(re.split(r"(\{[^{}/]+\})", template)) if part)
        match = re.fullmatch(pattern, given)
        if match is None:
            return None
        names = iter(self.path_parameters())
        return {next(names): _unquote(value) for _, value in sorted(
            match.groupdict().items(), key=lambda kv: int(kv[0][1:]))}


def _unquote(text: str) -> str:
    from urllib.parse import unquote

    return unquote(text)


def callback(base_url: str, workflow: str, trigger: RequestTrigger, key: str
             ) -> dict[str, Any]:
    """Logic Apps' listCallbackUrl answer."""
    sp = permission(trigger.name)
    queries = {"api-version": API_VERSION, "sp": sp, "sv": SIGNATURE_VERSION,
               "sig": sign(key, workflow, trigger.name)}
    base_path = (f"{base_url.rstrip('/')}/api/{quote(workflow, safe='')}/triggers/"
                 f"{quote(trigger.name, safe='')}/invoke")
    query = "&".join(f"{k}={quote(v, safe='')}" for k, v in queries.items())
    relative = trigger.relative_path
    value = f"{base_path}/{relative}?{query}" if relative else f"{base_path}?{query}"
    answer: dict[str, Any] = {"value": value, "method": trigger.method or "POST",
                              "basePath": base_path, "queries": queries}
    if relative:
        answer["relativePath"] = "/" + relative
        answer["relativePathParameters"] = trigger.path_parameters()
    return answer


#: The caller's credentials never reach a run record (the headers are the trigger's
#: outputs, shown to anyone who may read the run).
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})
_MASKED = "*sanitized*"


def trigger_headers(raw: Sequence[tuple[bytes, bytes]]) -> dict[str, str]:
    """The request's headers as Logic Apps shows them: request headers sorted by name, then
    content headers by name descending; repeated headers joined with a comma."""
    merged: dict[str, tuple[str, list[str]]] = {}
    for name_bytes, value_bytes in raw:
        lower = name_bytes.decode("latin-1").lower()
        name = _KNOWN.get(lower, name_bytes.decode("latin-1"))
        value = _MASKED if lower in _CREDENTIAL_HEADERS else value_bytes.decode("latin-1")
        merged.setdefault(lower, (name, []))[1].append(value)
    plain = sorted(k for k in merged if k not in _CONTENT)
    content = sorted((k for k in merged if k in _CONTENT), reverse=True)
    return {merged[k][0]: ", ".join(merged[k][1]) for k in [*plain, *content]}


def parse_body(content_type: str | None, body: bytes) -> tuple[bool, Any]:
    """The body as Logic Apps presents it: (present, value)."""
    if not body and not content_type:
        return False, None
    media = (content_type or "").split(";", 1)[0].strip().lower()
    charset = _charset(content_type or "")
    if media == "application/json" or media.endswith("+json") or media == "text/json":
        if not body.strip():
            return False, None
        try:
            text = body.decode(charset or "utf-8-sig")
            return True, json.loads(text.lstrip("\ufeff"))
        except (UnicodeDecodeError, LookupError, json.JSONDecodeError) as exc:
            raise TriggerRequestInvalid(f"the request body is not valid JSON: {exc}") from None
        except ValueError:  # an integer past the interpreter's digit limit
            raise TriggerRequestInvalid("the request body holds a number too long to "
                                        "read") from None
        except RecursionError:
            raise TriggerRequestInvalid("the request body nests too deeply") from None
    if media == "text/plain":
        try:
            return True, body.decode(charset or "utf-8")
        except (UnicodeDecodeError, LookupError):
            raise TriggerRequestInvalid("the request body is not text in its charset") \
                from None
    encoded = base64.b64encode(body).decode("ascii")
    value: dict[str, Any] = {"$content-type": content_type or "application/octet-stream"}
    if media == "application/x-www-form-urlencoded":
        value["$content"] = encoded
        text = body.decode(charset or "utf-8", errors="replace")
        value["$formdata"] = [{"key": k, "value": v}
                              for k, v in parse_qsl(text, keep_blank_values=True)]
    elif media.startswith("multipart/"):
        value["$multipart"] = _multipart(content_type or "", body)
    else:
        value["$content"] = encoded
    return True, value


def _charset(content_type: str) -> str | None:
    match = re.search(r"charset=\"?([^\";]+)", content_type, re.IGNORECASE)
    return match.group(1).strip() if match else None


def _multipart(content_type: str, body: bytes) -> list[dict[str, Any]]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode("latin-1")
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    if not message.is_multipart():
        raise TriggerRequestInvalid("the multipart body could not be read (boundary?)")
    parts = []
    for part in message.iter_parts():
        headers = {k: str(v) for k, v in part.items()}
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        parts.append({"headers": headers, "body": {
            "$content-type": part.get_content_type(),
            "$content": base64.b64encode(data).decode("ascii")}})
    return parts


def check_schema(trigger: RequestTrigger, present: bool, body: Any) -> None:
    """With schema validation on, a body that breaks the schema is refused (400)."""
    if not trigger.validate_schema or trigger.schema is None:
        return
    try:
        validator = jsonschema_rs.validator_for(dict(trigger.schema))
    except (ValueError, jsonschema_rs.ValidationError):
        return
    errors = list(validator.iter_errors(body if present else None))
    if errors:
        details = [{"pointer": "/" + "/".join(str(p) for p in e.instance_path),
                    "message": e.message} for e in errors[:20]]
        raise TriggerRequestInvalid("the request body does not match the trigger's schema: "
                                    f"{errors[0].message}", details=details)
