"""The README's assertion vocabulary, checked against a run, its Response and the mock log.

Every check appends a readable difference to a list rather than stopping at the first, so
one failing case reports everything that differs (the status board copies these lines).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from email.message import Message
from typing import Any
from xml.etree import ElementTree

from tests.runtime.corpus.mock import LoggedRequest, json_path

Diffs = list[str]


def json_text(value: Any, *, ordered: bool) -> str:
    """One canonical text of a JSON value: key order kept when ``ordered``."""
    return json.dumps(value, sort_keys=not ordered, ensure_ascii=False, separators=(",", ":"))


def _media_type(content_type: str) -> tuple[str, dict[str, str]]:
    message = Message()
    message["content-type"] = content_type
    params = {k.lower(): v for k, v in message.get_params(failobj=[])[1:]}
    return message.get_content_type(), params


def check_header_value(where: str, spec: Mapping[str, Any], actual: str | None,
                       diffs: Diffs) -> None:
    """``equals``, ``media_type_equals``, ``charset_equals``, ``charset_absent``, ``absent``."""
    if spec.get("absent"):
        if actual is not None:
            diffs.append(f"{where}: expected absent, got {actual!r}")
        return
    if actual is None:
        diffs.append(f"{where}: missing (expected {dict(spec)})")
        return
    if "equals" in spec and actual != spec["equals"]:
        diffs.append(f"{where}: {actual!r} != expected {spec['equals']!r}")
    media, params = _media_type(actual)
    if "media_type_equals" in spec and media != spec["media_type_equals"].lower():
        diffs.append(f"{where}: media type {media!r} != expected {spec['media_type_equals']!r}")
    if "charset_equals" in spec and params.get("charset", "").lower() != str(
            spec["charset_equals"]).lower():
        diffs.append(f"{where}: charset of {actual!r} != expected {spec['charset_equals']!r}")
    if spec.get("charset_absent") and "charset" in params:
        diffs.append(f"{where}: expected no charset, got {actual!r}")


def _parse_json(where: str, data: bytes | str, diffs: Diffs) -> tuple[bool, Any]:
    text = data.decode("utf-8-sig") if isinstance(data, bytes) else data
    try:
        return True, json.loads(text)
    except ValueError:
        diffs.append(f"{where}: not JSON: {text[:200]!r}")
        return False, None


def _c14n(text: str) -> str:
    return ElementTree.canonicalize(text.strip(), strip_text=True)


def check_json_paths(where: str, checks: Sequence[Mapping[str, Any]], document: Any,
                     diffs: Diffs) -> None:
    """``json_paths[]``: ``path`` then ``equals`` / ``contains`` / ``equals_text``."""
    for check in checks:
        found, value = json_path(document, check["path"])
        at = f"{where}.{check['path']}"
        if not found:
            diffs.append(f"{at}: missing")
            continue
        if "equals" in check and json_text(value, ordered=True) != json_text(
                check["equals"], ordered=True):
            diffs.append(f"{at}: {value!r} != expected {check['equals']!r}")
        if "contains" in check and check["contains"] not in str(value):
            diffs.append(f"{at}: {value!r} does not contain {check['contains']!r}")
        if "equals_text" in check and _as_text(value) != check["equals_text"]:
            diffs.append(f"{at}: {value!r} as text != expected {check['equals_text']!r}")


def _as_text(value: Any) -> str:
    # JToken.ToString() of a scalar: the bare value, not its JSON form.
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "True" if value else "False"
    if value is None:
        return ""
    return json_text(value, ordered=True) if isinstance(value, dict | list) else str(value)


def _with_volatile(expected: Any, actual: Any, paths: Sequence[str], where: str,
                   diffs: Diffs) -> Any:
    """The expected document with each volatile value taken from the actual one, once the
    actual one is there with the expected type."""
    for path in paths:
        found, value = json_path(actual, path)
        _, wanted = json_path(expected, path)
        if not found:
            diffs.append(f"{where}.{path}: missing (volatile, must be present)")
            continue
        if type(value) is not type(wanted):
            diffs.append(f"{where}.{path}: {type(value).__name__} != expected "
                         f"{type(wanted).__name__} (volatile)")
            continue
        *parents, last = path.split(".")
        holder = expected
        for part in parents:
            holder = holder[int(part)] if isinstance(holder, list) else holder[part]
        if isinstance(holder, list):
            holder[int(last)] = value
        else:
            holder[last] = value
    return expected


def check_body(where: str, spec: Mapping[str, Any], body: bytes, diffs: Diffs) -> None:
    """A body against ``equals``, ``json_equals`` (``ordered``, ``volatile_json_paths``),
    ``json_paths`` and ``xml_c14n_equals``."""
    expected_text = spec.get("equals")
    volatile = list(spec.get("volatile_json_paths") or [])
    if "json_equals" in spec or "json_paths" in spec or volatile:
        ok, document = _parse_json(where, body, diffs)
        if not ok:
            return
        if "json_equals" in spec:
            ordered = bool(spec.get("ordered"))
            wanted = json.loads(json.dumps(spec["json_equals"]))
            if volatile:
                original = json_text(wanted, ordered=True)
                wanted = _with_volatile(wanted, document, volatile, where, diffs)
                if expected_text is not None and original == expected_text:
                    # The recorded text is the compact form: compare bytes with the
                    # volatile values in place.
                    expected_text = json_text(wanted, ordered=True)
            if json_text(document, ordered=ordered) != json_text(wanted, ordered=ordered):
                diffs.append(f"{where}: JSON {json_text(document, ordered=True)} != expected "
                             f"{json_text(wanted, ordered=True)}"
                             + (" (key order matters)" if ordered else ""))
        check_json_paths(where, spec.get("json_paths") or [], document, diffs)
    if expected_text is not None:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = repr(body)
        if text != expected_text:
            diffs.append(f"{where}: text {text!r} != expected {expected_text!r}")
    if "xml_c14n_equals" in spec:
        try:
            same = _c14n(body.decode("utf-8-sig")) == _c14n(spec["xml_c14n_equals"])
        except ElementTree.ParseError as exc:
            diffs.append(f"{where}: not XML ({exc})")
        else:
            if not same:
                diffs.append(f"{where}: canonical XML differs: {body[:300]!r}")


# The recorded Logic Apps answer headers whose volatile values still relate to the run.
def _volatile_relations(headers: Mapping[str, str], run_id: str,
                        run: Mapping[str, Any] | None, body: Any) -> dict[str, str | None]:
    tracking = headers.get("x-ms-tracking-id")
    relations: dict[str, str | None] = {
        "x-ms-workflow-run-id": run_id,
        "x-ms-trigger-history-name": run_id,
        "x-ms-correlation-id": tracking,
        "x-ms-request-id": f":{tracking}" if tracking is not None else None,
        "x-ms-workflow-system-id": (
            f"/scaleunits/prod-00/workflows/{headers['x-ms-workflow-id']}"
            if "x-ms-workflow-id" in headers else None),
    }
    if run is not None:
        relations["x-ms-client-tracking-id"] = run.get("clientTrackingId")
    if isinstance(body, Mapping) and "trackingId" in body:
        relations["x-ms-tracking-id"] = body["trackingId"]
    return relations


def check_headers_in_order(where: str, expected: Sequence[Sequence[str]],
                           actual: Sequence[tuple[str, str]], body: bytes, run_id: str,
                           run: Mapping[str, Any] | None, diffs: Diffs) -> None:
    """IllogicApps' recorded answer headers: ``exact`` and ``derived`` values equal,
    ``volatile`` ones present (and consistent with the run), ``host-specific`` ones
    ignored; those compared appear in the recorded order."""
    lowered: dict[str, str] = {}
    for name, value in actual:
        lowered.setdefault(name.lower(), value)
    try:
        document = json.loads(body.decode("utf-8-sig"))
    except ValueError:
        document = None
    relations = _volatile_relations(lowered, run_id, run, document)
    compared: list[str] = []
    for name, value, rule in expected:
        key = name.lower()
        if rule.startswith("host-specific"):
            continue
        compared.append(key)
        got = lowered.get(key)
        if got is None:
            diffs.append(f"{where} {name}: missing ({rule})")
            continue
        if rule.startswith("exact") and got != value:
            diffs.append(f"{where} {name}: {got!r} != expected {value!r}")
        elif rule.startswith("derived") and key == "content-length" and got != str(len(body)):
            diffs.append(f"{where} {name}: {got!r} != body length {len(body)}")
        elif rule.startswith("volatile") and relations.get(key) is not None \
                and got != relations[key]:
            diffs.append(f"{where} {name}: {got!r} != {relations[key]!r} ({rule})")
    order = [name.lower() for name, _ in actual if name.lower() in compared]
    seen = [key for key in compared if key in lowered]
    if _first_each(order) != seen:
        diffs.append(f"{where}: header order {_first_each(order)} != recorded {seen}")


def _first_each(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for name in names:
        if name not in out:
            out.append(name)
    return out


def check_run(expected: Mapping[str, Any], run: Mapping[str, Any], diffs: Diffs) -> None:
    """``expect.run``: status, terminated, error code and message, clientTrackingId."""
    if "status" in expected and run.get("status") != expected["status"]:
        diffs.append(f"run.status: {run.get('status')!r} != expected {expected['status']!r}")
    error = run.get("error") or None
    if "terminated" in expected:
        if "code" in run:
            terminated = run.get("code") == "Terminated"
        else:
            terminated = any(a.get("type") == "Terminate" and a.get("status") == "Succeeded"
                             for a in (run.get("actions") or {}).values())
        if terminated != expected["terminated"]:
            diffs.append(f"run.terminated: {terminated} != expected {expected['terminated']}")
    if "error_code" in expected:
        code: Any = error.get("code") if error else None
        if code is not None and expected["error_code"] is not None:
            try:
                code = int(code)
            except (TypeError, ValueError):
                pass
        if code != expected["error_code"]:
            diffs.append(f"run.error.code: {code!r} != expected {expected['error_code']!r}")
    if "error_message" in expected:
        message = error.get("message") if error else None
        if message != expected["error_message"]:
            diffs.append(f"run.error.message: {message!r} != expected "
                         f"{expected['error_message']!r}")
    if "clientTrackingId" in expected and run.get("clientTrackingId") != expected[
            "clientTrackingId"]:
        diffs.append(f"run.clientTrackingId: {run.get('clientTrackingId')!r} != expected "
                     f"{expected['clientTrackingId']!r}")


def _repetition(record: Mapping[str, Any], number: int) -> Mapping[str, Any] | None:
    # LogicAppUnit: repetition N is the one whose repetitionIndexes[0].itemIndex is N-1.
    for repetition in record.get("repetitions") or []:
        indexes = repetition.get("repetitionIndexes") or []
        if indexes and indexes[0].get("itemIndex") == number - 1:
            return repetition  # type: ignore[no-any-return]
    return None


def repetition_count(name: str, record: Mapping[str, Any],
                     actions: Mapping[str, Mapping[str, Any]]) -> int:
    """LogicAppUnit's count: repetitions of an action inside a loop, iterations of an
    ``Until``, items of a ``Foreach``, else 1."""
    for key in ("repetitionCount", "iterationCount", "foreachItemsCount"):
        if isinstance(record.get(key), int):
            return int(record[key])
    repetitions = record.get("repetitions")
    if repetitions:
        return len(repetitions)
    if record.get("type") in ("Until", "Foreach"):
        items = {index.get("itemIndex")
                 for other in actions.values()
                 for repetition in other.get("repetitions") or []
                 for index in repetition.get("repetitionIndexes") or []
                 if index.get("scopeName") == name}
        return len(items)
    return 1


def _check_io(where: str, spec: Mapping[str, Any], value: Any,
              actions: Mapping[str, Mapping[str, Any]], diffs: Diffs) -> None:
    if value is None:
        diffs.append(f"{where}: missing")
        return
    check_json_paths(where, spec.get("json_paths") or [], value, diffs)
    if "json_equals" in spec:
        ordered = bool(spec.get("ordered"))
        if json_text(value, ordered=ordered) != json_text(spec["json_equals"], ordered=ordered):
            diffs.append(f"{where}: {json_text(value, ordered=True)} != expected "
                         f"{json_text(spec['json_equals'], ordered=True)}")
    exactly = spec.get("parameters_exactly")
    if exactly is not None:
        parameters = value.get("parameters") if isinstance(value, Mapping) else None
        if not isinstance(parameters, Mapping):
            diffs.append(f"{where}.parameters: missing")
            return
        if sorted(parameters) != sorted(exactly):
            diffs.append(f"{where}.parameters: keys {sorted(parameters)} != expected "
                         f"{sorted(exactly)}")
        for key, wanted in exactly.items():
            if isinstance(wanted, Mapping) and "equals_output_of" in wanted:
                ref = wanted["equals_output_of"]
                outputs = (actions.get(ref["action"]) or {}).get("outputs")
                found, wanted = json_path(outputs, ref["path"])
                if not found:
                    diffs.append(f"{where}.parameters.{key}: {ref['action']} has no "
                                 f"outputs.{ref['path']} to compare with")
                    continue
            if key in parameters and _as_text(parameters[key]) != _as_text(wanted):
                diffs.append(f"{where}.parameters.{key}: {parameters[key]!r} != expected "
                             f"{wanted!r}")


def check_actions(expected: Sequence[Mapping[str, Any]], run: Mapping[str, Any],
                  diffs: Diffs) -> None:
    """``expect.actions[]`` against the run record's ``actions`` (and ``trigger``)."""
    actions: Mapping[str, Mapping[str, Any]] = run.get("actions") or {}
    for item in expected:
        if "trigger" in item:
            trigger = run.get("trigger") or {}
            if trigger.get("name") != item["trigger"] or trigger.get("status") != item.get(
                    "status", trigger.get("status")):
                diffs.append(f"trigger {item['trigger']}: {trigger.get('name')!r} "
                             f"{trigger.get('status')!r} != expected {item.get('status')!r}")
            continue
        name = item["action"]
        record = actions.get(name)
        where = f"actions[{name}]"
        if record is None:
            diffs.append(f"{where}: not in the run record")
            continue
        target: Mapping[str, Any] | None = record
        if "repetition" in item:
            where += f"#{item['repetition']}"
            target = _repetition(record, int(item["repetition"]))
            if target is None:
                diffs.append(f"{where}: no such repetition "
                             f"({len(record.get('repetitions') or [])} recorded)")
                continue
        if "repetition_count" in item:
            count = repetition_count(name, record, actions)
            if count != item["repetition_count"]:
                diffs.append(f"{where}.repetition_count: {count} != expected "
                             f"{item['repetition_count']}")
        if "status" in item and target.get("status") != item["status"]:
            diffs.append(f"{where}.status: {target.get('status')!r} != expected "
                         f"{item['status']!r}"
                         + (f" (error {target.get('error')})" if target.get("error") else ""))
        for flag, key in (("has_inputs", "inputs"), ("has_outputs", "outputs")):
            if item.get(flag) and target.get(key) is None:
                diffs.append(f"{where}.{key}: expected to be recorded, is null")
        tracked = item.get("tracked_properties")
        if tracked is not None:
            actual = target.get("trackedProperties")
            if tracked.get("absent") and actual is not None:
                diffs.append(f"{where}.trackedProperties: expected absent, got {actual!r}")
            for key, value in (tracked.get("equals_entries") or {}).items():
                got = (actual or {}).get(key) if isinstance(actual, Mapping) else None
                if got != value:
                    diffs.append(f"{where}.trackedProperties.{key}: {got!r} != expected "
                                 f"{value!r}")
        for key in ("inputs", "outputs"):
            if key in item:
                _check_io(f"{where}.{key}", item[key], target.get(key), actions, diffs)


def select_request(log: Sequence[LoggedRequest],
                   select: Mapping[str, Any]) -> LoggedRequest | None:
    for request in log:
        if "path_equals" in select and request.path != select["path_equals"]:
            continue
        if "path_ends_with" in select and not request.path.endswith(select["path_ends_with"]):
            continue
        return request
    return None


def check_outbound(expected: Sequence[Mapping[str, Any]], log: Sequence[LoggedRequest],
                   diffs: Diffs) -> None:
    """``expect.outbound_requests[]`` against the mock's request log."""
    for item in expected:
        select = item["select"]
        request = select_request(log, select)
        where = f"outbound {select.get('path_equals') or select.get('path_ends_with')}"
        if request is None:
            seen = [f"{r.method} {r.path}" for r in log]
            diffs.append(f"{where}: no such request reached the mock (it saw {seen})")
            continue
        if "method" in item and request.method.upper() != item["method"].upper():
            diffs.append(f"{where}: method {request.method} != expected {item['method']}")
        for group in ("headers", "content_headers"):
            for name, spec in (item.get(group) or {}).items():
                check_header_value(f"{where} header {name}", spec, request.header(name), diffs)
        if "body" in item:
            check_body(f"{where} body", item["body"], request.body, diffs)
