"""A built-in connector's connection secret stays in the vault — written inline in
connections.json or read from an app setting: an SMTP workflow deployed
to the real ``portway serve`` sends through a real SMTP server that checks the password,
and the marker password is in none of the database files, the API's answers or the log
— neither when the login works nor when a wrong one fails the action."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from tests.runtime.builtins.test_smtp import Mailbox
from tests.runtime.cli.test_workflows_cli import _portway, _write
from tests.support.servers import free_port, portway_process

MARKER = "pw-MARKER-7f3c9e21"
WRONG = "pw-WRONG-MARKER-55aa"


def _connection(port: int, password: str) -> dict[str, Any]:
    return {"serviceProvider": {"id": "/serviceProviders/Smtp"}, "displayName": "Mail",
            "parameterValues": {"serverAddress": "127.0.0.1", "port": port,
                                "userName": "mailer", "password": password,
                                "enableSSL": False}}


def _send(connection: str, subject: str, after: dict[str, Any]) -> dict[str, Any]:
    return {"type": "ServiceProvider", "runAfter": after, "inputs": {
        "parameters": {"from": "orders@example.com", "to": "@triggerBody()?['to']",
                       "subject": subject, "body": "Your order shipped."},
        "serviceProviderConfiguration": {"connectionName": connection,
                                         "operationId": "sendEmail",
                                         "serviceProviderId": "/serviceProviders/Smtp"}}}


def _project(root: Path, port: int) -> Path:
    project = root / "project"
    _write(project / "host.json", {"version": "2.0"})
    # One password read from an app setting (sealed too), one written inline.
    _write(project / "local.settings.json", {"IsEncrypted": False, "Values": {
        "SMTP_PASSWORD": MARKER}})
    _write(project / "connections.json", {"serviceProviderConnections": {
        "mail": _connection(port, "@appsetting('SMTP_PASSWORD')"),
        "badmail": _connection(port, WRONG)}})
    _write(project / "Notify" / "workflow.json", {"kind": "Stateful", "definition": {
        "$schema": "https://schema.management.azure.com/providers/Microsoft.Logic/schemas/"
                   "2016-06-01/workflowdefinition.json#",
        "contentVersion": "1.0.0.0",
        "triggers": {"manual": {"type": "Request", "kind": "Http"}},
        "actions": {
            "Send_ok": _send("mail", "Shipped", {}),
            "Send_bad": _send("badmail", "Never", {"Send_ok": ["Succeeded"]}),
            "Answer": {"type": "Response", "runAfter": {"Send_bad": ["Failed"]}, "inputs": {
                "statusCode": 200, "body": "@body('Send_ok')"}},
        },
        "outputs": {},
    }})
    return project


@pytest.mark.slow
def test_a_built_in_connections_password_appears_nowhere_but_the_vault(
        tmp_path: Path) -> None:
    box = Mailbox()
    logins: list[bytes] = []

    def login(server: Any, session: Any, envelope: Any, mechanism: str,
              data: Any) -> AuthResult:
        assert isinstance(data, LoginPassword)
        logins.append(data.password)
        return AuthResult(success=data.password == MARKER.encode(), handled=False)

    port = free_port()
    smtp = Controller(box, hostname="127.0.0.1", port=port, authenticator=login,
                      auth_require_tls=False)
    smtp.start()
    answers: list[str] = []
    try:
        env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1", "PORTWAY_LOG_LEVEL": "debug"}
        with portway_process(tmp_path, env) as (base, _):
            deployed = _portway(tmp_path, "workflows", "deploy", str(_project(tmp_path, port)),
                                "--json")
            assert deployed.returncode == 0, deployed.stderr + deployed.stdout
            answers.append(deployed.stdout)
            token = (tmp_path / "var" / "owner.token").read_text().strip()
            with httpx.Client(base_url=base, headers={"authorization": f"Bearer {token}"},
                              timeout=30) as client:
                url = client.post("/v1/workflows/Notify/triggers/manual/callback-url"
                                  ).json()["value"]
                answer = httpx.post(url, json={"to": "ann@example.com"}, timeout=60)
                assert answer.status_code == 200, answer.text
                assert answer.json()["response"].startswith("250 ")
                run_id = answer.headers["x-ms-workflow-run-id"]
                deadline = time.monotonic() + 30
                run = client.get(f"/v1/runs/{run_id}").json()
                while run["status"] == "Running" and time.monotonic() < deadline:
                    time.sleep(0.1)
                    run = client.get(f"/v1/runs/{run_id}").json()
                bad = run["actions"]["Send_bad"]
                assert (bad["status"], bad["error"]["code"]) == (
                    "Failed", "SmtpAuthenticationFailed")
                assert bad["retryHistory"] == []  # a refused login is not retried
                for path in ("/v1/workflows", "/v1/workflows/Notify", "/v1/appsettings",
                             "/v1/workflows/Notify/runs", f"/v1/runs/{run_id}",
                             "/v1/connectors/smtp"):
                    got = client.get(path)
                    assert got.status_code == 200, (path, got.text)
                    answers.append(got.text)
            answers.append(_portway(tmp_path, "runs", "show", run_id, "--json").stdout)
            answers.append(_portway(tmp_path, "workflows", "show", "Notify").stdout)
    finally:
        smtp.stop()
    assert [m["Subject"] for _, _, m in box.received] == ["Shipped"]
    # The server did see both (smtplib tries each mechanism it offers with a wrong one).
    assert logins[0] == MARKER.encode() and set(logins) == {MARKER.encode(), WRONG.encode()}
    for secret in (MARKER, WRONG):
        for text in answers:
            assert secret not in text
        log = (tmp_path / "portway.log").read_bytes()
        assert log and secret.encode() not in log
        stored = [p for p in (tmp_path / "var").rglob("*") if p.is_file()]
        assert any(p.name.endswith(".db") for p in stored), stored
        for path in stored:
            assert secret.encode() not in path.read_bytes(), path
