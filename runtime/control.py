"""What the ``workflows`` and ``runs`` commands act on: the store the settings name, or —
with ``--url`` and a token — a running gateway's API. Both answer in the API's shapes, so
the commands print the same either way.
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any, Protocol
from urllib.parse import quote

from gateway import PortwayError, Services, command_services, remote_of
from runtime.definitions import WorkflowSpec
from runtime.host import RuntimeHost


class Control(Protocol):
    def deploy(self, specs: list[WorkflowSpec], app_settings: dict[str, str]
               ) -> list[tuple[dict[str, Any], str]]: ...

    def workflows(self) -> list[dict[str, Any]]: ...

    def workflow(self, name: str) -> dict[str, Any]: ...

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]: ...

    def rotate_key(self, name: str) -> None: ...

    def runs(self, workflow: str, status: str | None, top: int) -> list[dict[str, Any]]: ...

    def run(self, run_id: str) -> dict[str, Any]: ...

    def cancel(self, run_id: str) -> dict[str, Any]: ...

    def resubmit(self, run_id: str) -> str: ...


class StoreControl:
    """Straight on the store, with an engine that does not run a worker: a run started
    here is stored and a serving process picks it up."""

    def __init__(self, host: RuntimeHost) -> None:
        self.host = host

    def deploy(self, specs: list[WorkflowSpec], app_settings: dict[str, str]
               ) -> list[tuple[dict[str, Any], str]]:
        done = self.host.workflows.put_many(specs, app_settings)
        return [(record.public(), outcome) for record, outcome in done]

    def workflows(self) -> list[dict[str, Any]]:
        return [record.public() for record in self.host.workflows.all()]

    def workflow(self, name: str) -> dict[str, Any]:
        return self.host.workflows.get(name).public()

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        return self.host.workflows.set_enabled(name, enabled).public()

    def rotate_key(self, name: str) -> None:
        self.host.workflows.rotate_trigger_key(name)

    def runs(self, workflow: str, status: str | None, top: int) -> list[dict[str, Any]]:
        self.host.workflows.get(workflow)
        return self.host.history.list(workflow, status=status, top=top)[0]

    def run(self, run_id: str) -> dict[str, Any]:
        return self.host.history.get(run_id)

    def cancel(self, run_id: str) -> dict[str, Any]:
        asyncio.run(self.host.engine.cancel(run_id))
        return self.host.history.get(run_id)

    def resubmit(self, run_id: str) -> str:
        return asyncio.run(self.host.engine.resubmit(run_id))


class ApiControl:
    """A running gateway's API (``--url``), under the given bearer token."""

    def __init__(self, remote: Any) -> None:
        self.remote = remote

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.remote.json(method, path, **kwargs)

    def deploy(self, specs: list[WorkflowSpec], app_settings: dict[str, str]
               ) -> list[tuple[dict[str, Any], str]]:
        # Validated whole before this is called; the API validates each again.
        if app_settings:
            self._json("PUT", "/v1/appsettings", json=app_settings)
        done = []
        for spec in specs:
            before = self.remote.call("GET", f"/v1/workflows/{quote(spec.name)}")
            old = before.json().get("version") if before.status_code == 200 else None
            record = self._json("PUT", f"/v1/workflows/{quote(spec.name)}", json={
                "definition": spec.definition, "kind": spec.kind,
                "parameters": spec.parameters,
                "connectionReferences": {ref: {"connection": conn} for ref, conn
                                         in spec.connection_references.items()},
                "serviceProviderConnections": spec.service_provider_connections})
            outcome = "created" if old is None else (
                "unchanged" if record["version"] == old else "updated")
            done.append((record, outcome))
        return done

    def workflows(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = self._json("GET", "/v1/workflows")["value"]
        return found

    def workflow(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/v1/workflows/{quote(name)}")
        return found

    def set_enabled(self, name: str, enabled: bool) -> dict[str, Any]:
        verb = "enable" if enabled else "disable"
        found: dict[str, Any] = self._json("POST", f"/v1/workflows/{quote(name)}/{verb}")
        return found

    def rotate_key(self, name: str) -> None:
        answer = self.remote.call("POST", f"/v1/workflows/{quote(name)}/regenerateAccessKey",
                                  json={"keyType": "Primary"})
        if answer.status_code != 200:  # the one error shape: say its code and message
            error = answer.json().get("error") or {}
            raise PortwayError(f"{error.get('code')}: {error.get('message')}",
                               code=str(error.get("code") or "RemoteError"))

    def runs(self, workflow: str, status: str | None, top: int) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"$top": top}
        if status:
            params["status"] = status
        found: list[dict[str, Any]] = self._json(
            "GET", f"/v1/workflows/{quote(workflow)}/runs", params=params)["value"]
        return found

    def run(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("GET", f"/v1/runs/{quote(run_id)}")
        return found

    def cancel(self, run_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self._json("POST", f"/v1/runs/{quote(run_id)}/cancel")
        return found

    def resubmit(self, run_id: str) -> str:
        return str(self._json("POST", f"/v1/runs/{quote(run_id)}/resubmit")["id"])


def control_of(args: argparse.Namespace) -> Control:
    """The API with ``--url``, else the store the settings name."""
    remote = remote_of(args)
    if remote is not None:
        return ApiControl(remote)
    from runtime.wiring import build_host

    services: Services = command_services(args)
    return StoreControl(build_host(services, runs_here=False))
