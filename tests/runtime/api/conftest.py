"""A running gateway with the runtime plugged in, on each storage backend."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from gateway.app import create_app
from gateway.services import build_services
from runtime.extension import RuntimeExtension
from tests.gateway.conftest import RunningGateway, make_settings
from tests.support.servers import serve_in_thread


@pytest.fixture
def runtime_gateway(tmp_path: Path, database_url: str) -> Iterator[RunningGateway]:
    services = build_services(make_settings(tmp_path, database_url))
    app = create_app(services=services, extensions=[RuntimeExtension()])
    try:
        with serve_in_thread(app) as url:
            token_file = Path(services.settings.security.owner_token_file)
            yield RunningGateway(url=url, owner_token=token_file.read_text().strip(),
                                 services=services)
    finally:
        services.db.dispose()


@pytest.fixture
def client(runtime_gateway: RunningGateway) -> Iterator[httpx.Client]:
    with runtime_gateway.client() as owner:
        yield owner


def echo_workflow(**trigger_inputs: Any) -> dict[str, Any]:
    """A Request trigger, a Compose of the body, and a Response that returns it."""
    return {"definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http",
                                "inputs": dict(trigger_inputs)}},
        "actions": {
            "Compose": {"type": "Compose", "inputs": "@triggerBody()", "runAfter": {}},
            "Response": {"type": "Response", "kind": "Http", "runAfter": {"Compose": ["Succeeded"]},
                         "inputs": {"statusCode": 200, "body": "@outputs('Compose')"}},
        },
        "outputs": {},
    }, "kind": "Stateful"}
