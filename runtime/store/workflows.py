"""The workflows' store: workflows, their immutable versions, and the secrets they hold.

A deploy that changes anything writes a new version; the workflow points at it, and runs
keep the version they started with. Secure parameter values, ``serviceProviderConnections``
(connection strings, keys), each workflow's trigger-signing key and the key its webhook
actions' callback URLs are signed with are sealed in the gateway's vault, never in these
tables. The workflow's identity (its principal and
connection references, for the linked access check) is written in the same transaction
through ``gateway.WorkflowIdentities``.

It is also the engine's ``WorkflowSource``: ``version(id)`` and ``current(name)`` give a
``WorkflowVersion`` with ``@appsetting()`` and ``@parameters()`` references read.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import sqlalchemy as sa

from gateway import NotFound, Services, WorkflowIdentities
from runtime.definitions.model import SECURE_TYPES, WorkflowSpec
from runtime.engine.interface import WorkflowVersion
from runtime.store.appsettings import OWNER_ID, OWNER_KIND, AppSettingsStore
from runtime.store.references import resolve_settings
from runtime.store.tables import workflow_versions, workflows

VERSION_OWNER = "runtime.version"
WORKFLOW_OWNER = "runtime.workflow"
TRIGGER_KEY = "triggerKey"
#: Signs webhook actions' callback URLs; ``regenerateAccessKey`` leaves it alone.
CALLBACK_KEY = "actionCallbackKey"
_PROVIDERS = "serviceProviderConnections"
#: .NET ticks at 0001-01-01 + 10,000 years: Logic Apps' version ids count down from it.
_MAX_TICKS = 3155378975999999999
_EPOCH_TICKS = 621355968000000000
_last_id = 0
#: A workflow with its current version's content.
_BY_NAME = sa.select(workflows).where(workflows.c.name == sa.bindparam("name"))
_VERSION_CONTENT = sa.select(
    workflow_versions.c.kind, workflow_versions.c.definition, workflow_versions.c.parameters,
    workflow_versions.c.connections).where(workflow_versions.c.id == sa.bindparam("id"))
_id_lock = threading.Lock()

#: A version's content as a record shows it: kind, definition, parameters, references.
_Content = tuple[str, dict[str, Any], dict[str, dict[str, Any]], dict[str, str]]


def new_version_id() -> str:
    """A Logic Apps-like version id (20 digits, smaller for newer), unique in the process."""
    global _last_id
    with _id_lock:
        ticks = _EPOCH_TICKS + time.time_ns() // 100
        candidate = (_MAX_TICKS - ticks) // 10_000
        _last_id = candidate if _last_id == 0 or candidate < _last_id else _last_id - 1
        return f"{_last_id:020d}"


@dataclass(frozen=True)
class WorkflowRecord:
    name: str
    version: str
    enabled: bool
    state: str
    kind: str
    definition: dict[str, Any]
    parameters: dict[str, dict[str, Any]]
    connection_references: dict[str, str]
    created_at: float
    updated_at: float
    #: Why the workflow is in the ``Error`` state (a webhook subscription failed...).
    state_message: str = ""

    def public(self) -> dict[str, Any]:
        """The API's view: secure parameter values are never shown."""
        return {
            "name": self.name,
            "version": self.version,
            "kind": self.kind,
            "enabled": self.enabled,
            "state": self.state,
            **({"stateMessage": self.state_message} if self.state_message else {}),
            "principal": self.name + "@workflows",
            "definition": self.definition,
            "parameters": self.parameters,
            "connectionReferences": {ref: {"connection": conn} for ref, conn
                                     in self.connection_references.items()},
            "createdTime": _iso(self.created_at),
            "changedTime": _iso(self.updated_at),
        }


def _iso(stamp: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))


def digest_of(spec: WorkflowSpec) -> str:
    material = json.dumps([spec.definition, spec.kind, spec.parameters,
                           spec.connection_references, spec.service_provider_connections],
                          sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(material.encode("utf-8")).hexdigest()


def _secure_names(spec: WorkflowSpec) -> set[str]:
    declared = spec.definition.get("parameters") or {}
    names = {n for n, e in declared.items()
             if isinstance(e, dict) and str(e.get("type", "")).lower() in SECURE_TYPES}
    names |= {n for n, e in spec.parameters.items()
              if str(e.get("type", "")).lower() in SECURE_TYPES}
    return names


class WorkflowStore:
    """Workflows and versions (sync: call through ``services.db.run``)."""

    def __init__(self, services: Services, app_settings: AppSettingsStore) -> None:
        self.services = services
        self.db = services.db
        self.vault = services.vault
        self.identities = WorkflowIdentities(services.db)
        self.app_settings = app_settings
        self._versions: dict[str, WorkflowVersion] = {}
        #: A version's content as a record shows it, read once (versions never change).
        self._contents: dict[str, _Content] = {}

    # -- writing ---------------------------------------------------------------------

    def put_many(self, specs: list[WorkflowSpec], app_settings: Mapping[str, str] | None = None,
                 ) -> list[tuple[WorkflowRecord, str]]:
        """Store validated workflows (and app settings) in one transaction.

        Returns:
            Each record with what happened: ``created``, ``updated`` or ``unchanged``.
        """
        outcomes: list[tuple[str, str]] = []
        with self.db.write() as conn:
            if app_settings:
                self.vault.put_many(conn, OWNER_KIND, OWNER_ID, dict(app_settings))
            for spec in specs:
                outcomes.append((spec.name, self._put(conn, spec)))
        self.app_settings.forget()
        return [(self.get(name), outcome) for name, outcome in outcomes]

    def _put(self, conn: sa.Connection, spec: WorkflowSpec) -> str:
        now = time.time()
        self.identities.put(spec.name, spec.connection_references, conn)
        row = conn.execute(sa.select(workflows.c.version).where(
            workflows.c.name == spec.name)).first()
        digest = digest_of(spec)
        if row is not None:
            same = conn.execute(sa.select(workflow_versions.c.digest).where(
                workflow_versions.c.id == row.version)).scalar()
            if same == digest:
                return "unchanged"
        version = new_version_id()
        secure = _secure_names(spec)
        sealed: dict[str, str] = {}
        stored: dict[str, dict[str, Any]] = {}
        for name, entry in spec.parameters.items():
            if name in secure:
                sealed[f"parameter:{name}"] = json.dumps(entry.get("value"))
                stored[name] = {"type": entry.get("type") or "securestring", "sealed": True}
            else:
                stored[name] = {"type": entry.get("type", ""), "value": entry.get("value")}
        if spec.service_provider_connections:
            sealed[_PROVIDERS] = json.dumps(spec.service_provider_connections)
        providers = {name: {"serviceProvider": entry.get("serviceProvider"),
                            "displayName": entry.get("displayName")}
                     for name, entry in spec.service_provider_connections.items()}
        conn.execute(workflow_versions.insert().values(
            id=version, workflow=spec.name, kind=spec.kind,
            definition=json.dumps(spec.definition), parameters=json.dumps(stored),
            connections=json.dumps({"references": spec.connection_references,
                                    "serviceProviders": providers}),
            digest=digest, created_at=now))
        if sealed:
            self.vault.put_many(conn, VERSION_OWNER, version, sealed)
        if row is None:
            conn.execute(workflows.insert().values(
                name=spec.name, version=version, enabled=True, state="Enabled",
                state_message="", created_at=now, updated_at=now))
            if TRIGGER_KEY not in self.vault.names(WORKFLOW_OWNER, spec.name):
                self.vault.put_many(conn, WORKFLOW_OWNER, spec.name,
                                    {TRIGGER_KEY: secrets.token_urlsafe(32)})
            return "created"
        # A new version is a fresh start: a failed webhook subscription is tried again.
        conn.execute(workflows.update().where(workflows.c.name == spec.name).values(
            version=version, updated_at=now, state_message="", state=sa.case(
                (workflows.c.enabled.is_(True), "Enabled"), else_="Disabled")))
        return "updated"

    def delete(self, name: str) -> None:
        """Remove a workflow and its identity; its versions stay for the runs that use
        them.

        Raises:
            NotFound: No such workflow.
        """
        with self.db.write() as conn:
            if conn.execute(workflows.delete().where(workflows.c.name == name)).rowcount == 0:
                raise NotFound(f"no workflow {name!r}")
            self.identities.delete(name, conn)
            self.vault.delete_owner(conn, WORKFLOW_OWNER, name)

    def set_enabled(self, name: str, enabled: bool) -> WorkflowRecord:
        with self.db.write() as conn:
            done = conn.execute(workflows.update().where(workflows.c.name == name).values(
                enabled=enabled, state="Enabled" if enabled else "Disabled",
                state_message="", updated_at=time.time()))
            if done.rowcount == 0:
                raise NotFound(f"no workflow {name!r}")
        return self.get(name)

    def rotate_trigger_key(self, name: str) -> None:
        """A new trigger-signing key: every trigger URL given out before stops working
        (webhook actions' callback URLs have a key of their own: ``callback_key``)."""
        self.get(name)
        with self.db.write() as conn:
            self.vault.put_many(conn, WORKFLOW_OWNER, name,
                                {TRIGGER_KEY: secrets.token_urlsafe(32)})

    # -- reading ---------------------------------------------------------------------

    def get(self, name: str) -> WorkflowRecord:
        """Raises NotFound."""
        with self.db.engine.connect() as conn:
            row = conn.execute(_BY_NAME, {"name": name}).first()
            content = self._content(conn, row.version) if row is not None else None
        if row is None or content is None:
            raise NotFound(f"no workflow {name!r}")
        return self._current(row, content)

    def all(self) -> list[WorkflowRecord]:
        """Every workflow, by name, read now. The triggers' rounds call this every
        ``trigger_seconds``: each version's content is parsed once (the cache the trigger
        call's lookup uses), not every workflow's definition on every round."""
        with self.db.engine.connect() as conn:
            rows = conn.execute(sa.select(workflows).order_by(workflows.c.name)).all()
            found = [(row, self._content(conn, row.version)) for row in rows]
        return [self._current(row, content) for row, content in found if content is not None]

    def trigger_key(self, name: str) -> str | None:
        return self.vault.get(WORKFLOW_OWNER, name, TRIGGER_KEY)

    def callback_key(self, name: str) -> str | None:
        """The key a workflow's webhook actions sign their callback URLs with, made the
        first time one asks (workflows deployed before it existed have none yet); None
        when there is no such workflow. Rotating the trigger key leaves it alone, so a
        run waiting for a callback can still be called back; deleting the workflow
        drops it."""
        key = self.vault.get(WORKFLOW_OWNER, name, CALLBACK_KEY)
        if key is not None:
            return key
        try:
            with self.db.write() as conn:
                if conn.execute(sa.select(workflows.c.name).where(
                        workflows.c.name == name)).first() is None:
                    return None
                if self.vault.get(WORKFLOW_OWNER, name, CALLBACK_KEY, conn) is None:
                    self.vault.put_many(conn, WORKFLOW_OWNER, name,
                                        {CALLBACK_KEY: secrets.token_urlsafe(32)})
        except sa.exc.IntegrityError:
            pass  # another process made it at the same moment: its key is the one
        return self.vault.get(WORKFLOW_OWNER, name, CALLBACK_KEY)

    def trigger_keys(self, names: list[str]) -> dict[str, str | None]:
        """Several workflows' signing keys, read now on one connection (the webhook
        subscriber's round, every ``trigger_seconds``)."""
        with self.db.engine.connect() as conn:
            return {name: self.vault.get(WORKFLOW_OWNER, name, TRIGGER_KEY, conn)
                    for name in names}

    def with_trigger_key(self, name: str) -> tuple[WorkflowRecord | None, str | None]:
        """The workflow (None when there is none) and its signing key, read now on one
        connection: a trigger call's lookup. The current version's content is parsed
        once per version, and the key opened once per sealed value, so a deploy, an
        enable or a rotation by any process counts from the next call."""
        with self.db.engine.connect() as conn:
            row = conn.execute(_BY_NAME, {"name": name}).first()
            key = self.vault.get(WORKFLOW_OWNER, name, TRIGGER_KEY, conn)
            if row is None:
                return None, key
            content = self._content(conn, row.version)
        if content is None:
            return None, key
        return self._current(row, content), key

    def _content(self, conn: sa.Connection, version: str) -> _Content | None:
        """A version's content (kind, definition, parameters, references), parsed once per
        version (a version never changes); None when there is no such version."""
        content = self._contents.get(version)
        if content is None:
            found = conn.execute(_VERSION_CONTENT, {"id": version}).first()
            if found is None:
                return None
            content = (found.kind, json.loads(found.definition),
                       json.loads(found.parameters),
                       json.loads(found.connections)["references"])
            if len(self._contents) > 1000:
                self._contents.clear()
            self._contents[version] = content
        return content

    @staticmethod
    def _current(row: Any, content: _Content) -> WorkflowRecord:
        kind, definition, parameters, references = content
        return WorkflowRecord(
            name=row.name, version=row.version, enabled=bool(row.enabled), state=row.state,
            kind=kind, definition=definition, parameters=parameters,
            connection_references=references, created_at=row.created_at,
            updated_at=row.updated_at, state_message=row.state_message or "")

    def current(self, workflow: str) -> WorkflowVersion:
        """The workflow's current version. Raises NotFound."""
        with self.db.engine.connect() as conn:
            version = conn.execute(sa.select(workflows.c.version).where(
                workflows.c.name == workflow)).scalar()
        if version is None:
            raise NotFound(f"no workflow {workflow!r}")
        return self.version(version)

    def version(self, version_id: str) -> WorkflowVersion:
        """Any stored version, references read now. Raises NotFound."""
        raw = self._versions.get(version_id)
        if raw is None:
            raw = self._load_version(version_id)
            if len(self._versions) > 1000:
                self._versions.clear()
            self._versions[version_id] = raw
        parameters = {k: resolve_settings(v, self.app_settings)
                      for k, v in raw.parameters.items()}
        providers = {k: resolve_settings(v, self.app_settings, parameters)
                     for k, v in raw.service_provider_connections.items()}
        return WorkflowVersion(
            workflow=raw.workflow, version=raw.version, definition=raw.definition,
            kind=raw.kind, parameters=parameters, secure_parameters=raw.secure_parameters,
            connection_references=raw.connection_references,
            service_provider_connections=providers, principal=raw.principal)

    def _load_version(self, version_id: str) -> WorkflowVersion:
        with self.db.engine.connect() as conn:
            row = conn.execute(sa.select(workflow_versions).where(
                workflow_versions.c.id == version_id)).first()
        if row is None:
            raise NotFound(f"no workflow version {version_id!r}")
        definition = json.loads(row.definition)
        stored: dict[str, dict[str, Any]] = json.loads(row.parameters)
        opened = self.vault.get_all(VERSION_OWNER, version_id)
        values: dict[str, Any] = {}
        declared = definition.get("parameters") or {}
        secure: set[str] = set()
        for name, entry in declared.items():
            if isinstance(entry, dict):
                if "defaultValue" in entry:
                    values[name] = entry["defaultValue"]
                if str(entry.get("type", "")).lower() in SECURE_TYPES:
                    secure.add(name)
        for name, entry in stored.items():
            if entry.get("sealed"):
                secure.add(name)
                values[name] = json.loads(opened.get(f"parameter:{name}", "null"))
            else:
                values[name] = entry.get("value")
                if str(entry.get("type", "")).lower() in SECURE_TYPES:
                    secure.add(name)
        connections = json.loads(row.connections)
        providers = json.loads(opened[_PROVIDERS]) if _PROVIDERS in opened else {}
        kind = cast(Literal["Stateful", "Stateless"], row.kind)
        return WorkflowVersion(
            workflow=row.workflow, version=row.id, definition=definition, kind=kind,
            parameters=values, secure_parameters=frozenset(secure),
            connection_references=connections.get("references", {}),
            service_provider_connections=providers, principal=row.workflow + "@workflows")
