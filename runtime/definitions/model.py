"""What a deploy is made of: one workflow ready to validate and store, and a bundle of them.

Every loader (``loading.py``: Standard project folders, Standard ``workflow.json``, the
Consumption forms; ``from_body`` for the HTTP API) produces ``WorkflowSpec`` values, so
validation and the store see one shape whatever the user wrote.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

#: Workflow parameter types of the WDL, lower case; the secure ones are sealed at rest.
PARAMETER_TYPES = frozenset({"string", "securestring", "int", "float", "bool", "array",
                             "object", "secureobject"})
SECURE_TYPES = frozenset({"securestring", "secureobject"})
KINDS = ("Stateful", "Stateless")


@dataclass(frozen=True)
class Finding:
    """One reason a deploy is refused: the file, the JSON pointer inside it, and why."""

    file: str
    pointer: str
    message: str

    def detail(self) -> dict[str, str]:
        return {"file": self.file, "pointer": self.pointer, "message": self.message}


@dataclass
class WorkflowSpec:
    """One workflow as the user gave it, before it is stored.

    Attributes:
        name: The workflow's name (its folder's name in a Standard project).
        definition: The WDL definition.
        kind: ``Stateful`` or ``Stateless``.
        parameters: ``{name: {"type", "value"}}`` from ``parameters.json`` or the request;
            values may be ``@appsetting('...')`` references, read when a run starts.
        connection_references: Reference name to Portway connection name.
        service_provider_connections: ``serviceProviderConnections`` of connections.json.
        source: The file the definition came from (named in every finding).
        pointer: Where the definition sits inside ``source`` (``/definition``...).
        files: The file each part came from, for findings (``parameters``,
            ``connections``).
    """

    name: str
    definition: dict[str, Any]
    kind: str = "Stateful"
    parameters: dict[str, dict[str, Any]] = field(default_factory=dict)
    connection_references: dict[str, str] = field(default_factory=dict)
    service_provider_connections: dict[str, dict[str, Any]] = field(default_factory=dict)
    source: str = "request"
    pointer: str = "/definition"
    files: Mapping[str, str] = field(default_factory=dict)

    def file_of(self, part: str) -> str:
        return self.files.get(part, self.source)


@dataclass
class Bundle:
    """Everything one ``portway workflows deploy PATH`` brings: workflows and app settings."""

    workflows: list[WorkflowSpec] = field(default_factory=list)
    app_settings: dict[str, str] = field(default_factory=dict)
