"""Reading every form PRODUCT.md names into ``WorkflowSpec`` values.

- a Logic Apps Standard project folder: ``connections.json``, ``parameters.json``,
  ``local.settings.json`` at its root, one sub-folder per workflow holding its
  ``workflow.json`` (the workflow is named after its folder);
- a Standard ``workflow.json`` (``{"definition", "kind"}``);
- the Consumption forms: a bare definition, a ``Microsoft.Logic/workflows`` resource, a
  gallery template (``Microsoft.Logic/galleries/templates``), or an ARM deployment template
  holding workflow resources (nested deployments included).

Problems are collected as ``Finding`` values (file and JSON pointer) and raised together
as one ``DefinitionInvalid``: nothing is deployed unless all of it reads.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from runtime.definitions.model import Bundle, Finding, WorkflowSpec
from runtime.errors import DefinitionInvalid

#: The largest file a deploy reads (a definition is far smaller: Logic Apps caps it at 1 MB).
MAX_FILE_BYTES = 4 * 1024 * 1024
PROJECT_FILES = ("connections.json", "parameters.json", "local.settings.json", "host.json")
_ARM_PARAMETER = re.compile(r"^\[parameters\('([^']+)'\)\]$")
_WORKFLOW_TYPE = "microsoft.logic/workflows"
_GALLERY_TYPE = "microsoft.logic/galleries/templates"


def refuse(findings: list[Finding], what: str = "the workflow") -> DefinitionInvalid:
    """One error carrying every finding."""
    first = findings[0]
    more = f" (and {len(findings) - 1} more)" if len(findings) > 1 else ""
    return DefinitionInvalid(
        f"{what} does not validate: {first.file}#{first.pointer}: {first.message}{more}",
        details=[f.detail() for f in findings])


def read_json(path: Path, label: str | None = None) -> Any:
    """A JSON file (a UTF-8 byte-order mark allowed, as Logic Apps tooling writes them)."""
    label = label or path.name
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise refuse([Finding(label, "", f"cannot read the file: {exc.strerror}")]) from None
    if size > MAX_FILE_BYTES:
        raise refuse([Finding(label, "", f"the file is over {MAX_FILE_BYTES} bytes")])
    try:
        with path.open("rb") as handle:  # bounded: /proc-like files report size 0
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError as exc:
        raise refuse([Finding(label, "", f"cannot read the file: {exc.strerror}")]) from None
    if len(data) > MAX_FILE_BYTES:
        raise refuse([Finding(label, "", f"the file is over {MAX_FILE_BYTES} bytes")])
    try:
        return json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise refuse([Finding(label, "", "the file is not UTF-8 text")]) from None
    except json.JSONDecodeError as exc:
        raise refuse([Finding(label, "", f"not valid JSON at line {exc.lineno}, column "
                                         f"{exc.colno}: {exc.msg}")]) from None


def load_path(path: Path, name: str | None = None) -> Bundle:
    """Read what ``portway workflows deploy PATH`` points at.

    Raises:
        DefinitionInvalid: A file is missing, unreadable, or in no known form.
    """
    if path.is_dir():
        if (path / "workflow.json").is_file() and not _workflow_folders(path):
            findings: list[Finding] = []
            if _outside(path, path / "workflow.json", "workflow.json", findings):
                raise refuse(findings)
            spec = _spec_of_document(read_json(path / "workflow.json", "workflow.json"),
                                     "workflow.json", name or path.name)
            return Bundle(workflows=spec)
        return load_project(path, only=name)
    if not path.is_file():
        raise refuse([Finding(str(path.name), "", "no such file or folder")])
    label = path.name
    default = path.parent.name if path.name == "workflow.json" else path.stem
    return Bundle(workflows=_spec_of_document(read_json(path, label), label, name or default))


def _workflow_folders(root: Path) -> list[Path]:
    return sorted(p for p in root.iterdir() if p.is_dir() and (p / "workflow.json").is_file())


def _outside(root: Path, path: Path, label: str, findings: list[Finding]) -> bool:
    """Whether ``path`` leads out of the project folder (a symbolic link to elsewhere):
    a project checked out from somewhere else must not make a deploy read this
    machine's other files."""
    try:
        path.resolve(strict=True).relative_to(root.resolve(strict=True))
    except (OSError, ValueError):
        findings.append(Finding(label, "", "is a link to outside the project folder"))
        return True
    return False


def load_project(root: Path, only: str | None = None) -> Bundle:
    """A Standard project folder: every workflow in it, with the app's files."""
    folders = _workflow_folders(root)
    if only is not None:
        folders = [f for f in folders if f.name == only]
    if not folders:
        what = f"no workflow folder {only!r}" if only else "no sub-folder holding a workflow.json"
        raise refuse([Finding(root.name or ".", "", what)])
    findings: list[Finding] = []
    parameters = _project_file(root, "parameters.json", findings)
    connections = _project_file(root, "connections.json", findings)
    local = _project_file(root, "local.settings.json", findings)
    app_settings = _values(local, findings)
    references, providers = connections_of(connections, "connections.json", findings)
    params = _parameters_file(parameters, "parameters.json", findings)
    for folder in folders:
        _outside(root, folder / "workflow.json", f"{folder.name}/workflow.json", findings)
    if findings:
        raise refuse(findings)
    bundle = Bundle(app_settings=app_settings)
    for folder in folders:
        label = f"{folder.name}/workflow.json"
        document = read_json(folder / "workflow.json", label)
        specs = _spec_of_document(document, label, folder.name)
        for spec in specs:
            spec.parameters = {**params, **spec.parameters}
            spec.connection_references = {**references, **spec.connection_references}
            spec.service_provider_connections = dict(providers)
            spec.files = {"parameters": "parameters.json", "connections": "connections.json"}
        bundle.workflows.extend(specs)
    return bundle


def _project_file(root: Path, name: str, findings: list[Finding]) -> dict[str, Any]:
    path = root / name
    if not path.is_file() or _outside(root, path, name, findings):
        return {}
    value = read_json(path, name)
    if not isinstance(value, dict):
        findings.append(Finding(name, "", "must be a JSON object"))
        return {}
    return value


def _values(local: dict[str, Any], findings: list[Finding]) -> dict[str, str]:
    values = local.get("Values", {})
    if not isinstance(values, dict):
        findings.append(Finding("local.settings.json", "/Values", "must be an object"))
        return {}
    settings: dict[str, str] = {}
    for key, value in values.items():
        if not isinstance(value, str):
            findings.append(Finding("local.settings.json", f"/Values/{_escape(key)}",
                                    "an app setting's value must be a string"))
            continue
        settings[key] = value
    return settings


def connections_of(document: dict[str, Any], label: str, findings: list[Finding]
                   ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    """``connections.json``: managed API references (reference -> Portway connection) and
    service provider connections (as written)."""
    references: dict[str, str] = {}
    managed = document.get("managedApiConnections", {})
    if not isinstance(managed, dict):
        findings.append(Finding(label, "/managedApiConnections", "must be an object"))
        managed = {}
    for ref, entry in managed.items():
        if not isinstance(entry, dict):
            findings.append(Finding(label, f"/managedApiConnections/{_escape(ref)}",
                                    "must be an object"))
            continue
        references[ref] = portway_connection_name(ref, entry)
    providers = document.get("serviceProviderConnections", {})
    if not isinstance(providers, dict) or not all(isinstance(v, dict)
                                                  for v in providers.values()):
        findings.append(Finding(label, "/serviceProviderConnections",
                                "must be an object of objects"))
        providers = {}
    return references, providers


def portway_connection_name(ref: str, entry: dict[str, Any]) -> str:
    """The Portway connection a managed API reference names: the last segment of its
    ``connection.id`` (or a Consumption ``connectionName``/``connectionId``) when that is
    plain text, else the reference's own name."""
    candidates = [entry.get("connectionName"), entry.get("connectionId")]
    connection = entry.get("connection")
    if isinstance(connection, dict):
        candidates.insert(0, connection.get("id"))
    for candidate in candidates:
        if isinstance(candidate, str) and candidate:
            last = candidate.rstrip("/").rsplit("/", 1)[-1]
            if re.fullmatch(r"[A-Za-z0-9._-]{1,200}", last):
                return last
    return ref


def _parameters_file(document: dict[str, Any], label: str, findings: list[Finding]
                     ) -> dict[str, dict[str, Any]]:
    params: dict[str, dict[str, Any]] = {}
    for key, entry in document.items():
        if not isinstance(entry, dict) or "value" not in entry:
            findings.append(Finding(label, f"/{_escape(key)}",
                                    "a parameter must be an object with 'type' and 'value'"))
            continue
        params[key] = {"type": entry.get("type", ""), "value": entry["value"]}
    return params


def _spec_of_document(document: Any, label: str, name: str) -> list[WorkflowSpec]:
    """The workflows one JSON document holds, whatever its form."""
    if not isinstance(document, dict):
        raise refuse([Finding(label, "", "a workflow file must hold a JSON object")])
    kind_of = str(document.get("type", "")).lower()
    schema = str(document.get("$schema", ""))
    if kind_of == _WORKFLOW_TYPE:
        return [_resource_spec(document, label, name, "", {})]
    if kind_of == _GALLERY_TYPE:
        props = document.get("properties")
        if not isinstance(props, dict) or not isinstance(props.get("definition"), dict):
            raise refuse([Finding(label, "/properties/definition",
                                  "a gallery template needs properties.definition")])
        return [WorkflowSpec(name=name, definition=props["definition"], source=label,
                             pointer="/properties/definition")]
    if "deploymentTemplate" in schema or isinstance(document.get("resources"), list):
        return _template_specs(document, label, name)
    if isinstance(document.get("definition"), dict):
        kind = document.get("kind", "Stateful")
        return [WorkflowSpec(name=name, definition=document["definition"],
                             kind=kind if isinstance(kind, str) else "", source=label,
                             pointer="/definition")]
    if "workflowdefinition" in schema.lower() or "triggers" in document or \
            "actions" in document:
        return [WorkflowSpec(name=name, definition=document, source=label, pointer="")]
    raise refuse([Finding(label, "", "not a workflow: expected a Standard workflow.json "
                                     "({definition, kind}), a bare definition, a "
                                     "Microsoft.Logic/workflows resource or a template "
                                     "holding one")])


def _template_specs(template: dict[str, Any], label: str, name: str) -> list[WorkflowSpec]:
    defaults = _template_defaults(template)
    found: list[tuple[str, dict[str, Any]]] = []

    def walk(resources: Any, pointer: str, params: dict[str, Any]) -> None:
        if not isinstance(resources, list):
            return
        for index, resource in enumerate(resources):
            if not isinstance(resource, dict):
                continue
            here = f"{pointer}/{index}"
            kind = str(resource.get("type", "")).lower()
            if kind == _WORKFLOW_TYPE:
                found.append((here, resource))
            elif kind == "microsoft.resources/deployments":
                inner = (resource.get("properties") or {}).get("template")
                if isinstance(inner, dict):
                    walk(inner.get("resources"), f"{here}/properties/template/resources",
                         {**params, **_template_defaults(inner)})
            walk(resource.get("resources"), f"{here}/resources", params)

    walk(template.get("resources"), "/resources", defaults)
    if not found:
        raise refuse([Finding(label, "/resources",
                              "the template holds no Microsoft.Logic/workflows resource")])
    # A nested deployment may redefine a workflow of the same name: the last one wins, as
    # in ARM. Names are the resources' own, resolved from the template's defaults where
    # they can be; an unresolved ``[parameters('X')]`` names the workflow X.
    by_name: dict[str, tuple[str, dict[str, Any]]] = {}
    for pointer, resource in found:
        own = _arm_value(resource.get("name"), defaults)
        key = own if isinstance(own, str) else json.dumps(own)
        by_name.pop(key, None)
        by_name[key] = (pointer, resource)
    specs = []
    for index, (key, (pointer, resource)) in enumerate(by_name.items()):
        unresolved = _ARM_PARAMETER.match(key)
        if len(by_name) == 1:
            wf_name = name
        elif re.fullmatch(r"[A-Za-z0-9._-]{1,200}", key):
            wf_name = key
        elif unresolved and re.fullmatch(r"[A-Za-z0-9._-]{1,200}", unresolved.group(1)):
            wf_name = unresolved.group(1)
        else:
            wf_name = f"{name}-{index + 1}"
        specs.append(_resource_spec(resource, label, wf_name, pointer, defaults))
    return specs


def _template_defaults(template: dict[str, Any]) -> dict[str, Any]:
    params = template.get("parameters")
    if not isinstance(params, dict):
        return {}
    return {k: v["defaultValue"] for k, v in params.items()
            if isinstance(v, dict) and "defaultValue" in v}


def _arm_value(value: Any, defaults: dict[str, Any]) -> Any:
    """``[parameters('x')]`` with the template's default; other values as written."""
    if isinstance(value, str):
        match = _ARM_PARAMETER.match(value)
        if match and match.group(1) in defaults:
            return defaults[match.group(1)]
    return value


def _resource_spec(resource: dict[str, Any], label: str, name: str, pointer: str,
                   defaults: dict[str, Any]) -> WorkflowSpec:
    props = resource.get("properties")
    if not isinstance(props, dict) or not isinstance(props.get("definition"), dict):
        raise refuse([Finding(label, f"{pointer}/properties/definition",
                              "a Microsoft.Logic/workflows resource needs "
                              "properties.definition")])
    spec = WorkflowSpec(name=name, definition=props["definition"], source=label,
                        pointer=f"{pointer}/properties/definition")
    values = props.get("parameters")
    if isinstance(values, dict):
        declared = spec.definition.get("parameters")
        declared = declared if isinstance(declared, dict) else {}
        for key, entry in values.items():
            if not isinstance(entry, dict) or "value" not in entry:
                continue
            value = _arm_value(entry["value"], defaults)
            if key == "$connections" and isinstance(value, dict):
                for ref, conn in value.items():
                    if isinstance(conn, dict):
                        spec.connection_references[ref] = portway_connection_name(ref, conn)
                continue
            kind = (declared.get(key) or {}).get("type", "") if isinstance(
                declared.get(key), dict) else ""
            spec.parameters[key] = {"type": kind, "value": value}
    return spec


def from_body(name: str, body: dict[str, Any]) -> WorkflowSpec:
    """``PUT /v1/workflows/{name}``'s body: ``{definition, kind, parameters,
    connectionReferences}`` (and ``serviceProviderConnections``)."""
    findings: list[Finding] = []
    unknown = sorted(set(body) - {"definition", "kind", "parameters", "connectionReferences",
                                  "serviceProviderConnections"})
    for key in unknown:
        findings.append(Finding("request", f"/{_escape(key)}", "unknown field"))
    definition = body.get("definition")
    if not isinstance(definition, dict):
        findings.append(Finding("request", "/definition", "'definition' must be an object"))
        definition = {}
    kind = body.get("kind", "Stateful")
    params = body.get("parameters", {})
    if not isinstance(params, dict):
        findings.append(Finding("request", "/parameters", "must be an object"))
        params = {}
    parameters = {}
    for key, entry in params.items():
        if not isinstance(entry, dict) or "value" not in entry:
            findings.append(Finding("request", f"/parameters/{_escape(key)}",
                                    "a parameter must be an object with 'type' and 'value'"))
            continue
        parameters[key] = {"type": entry.get("type", ""), "value": entry["value"]}
    refs = body.get("connectionReferences", {})
    references: dict[str, str] = {}
    if not isinstance(refs, dict):
        findings.append(Finding("request", "/connectionReferences", "must be an object"))
        refs = {}
    for ref, entry in refs.items():
        target = entry.get("connection") if isinstance(entry, dict) else None
        if not isinstance(target, str) or not target:
            findings.append(Finding("request", f"/connectionReferences/{_escape(ref)}",
                                    "must be {\"connection\": \"<name>\"}"))
            continue
        references[ref] = target
    providers = body.get("serviceProviderConnections", {})
    if not isinstance(providers, dict) or not all(isinstance(v, dict)
                                                  for v in providers.values()):
        findings.append(Finding("request", "/serviceProviderConnections",
                                "must be an object of objects"))
        providers = {}
    if findings:
        raise refuse(findings)
    return WorkflowSpec(name=name, definition=definition,
                        kind=kind if isinstance(kind, str) else "", parameters=parameters,
                        connection_references=references,
                        service_provider_connections=providers, source="request",
                        pointer="/definition",
                        files={"parameters": "request", "connections": "request"})


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")
