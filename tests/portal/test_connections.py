"""Connections in a browser: create from the generated form, edit, test, access
policies, OAuth consent against the suite's authorization server, trying an operation
against a loopback upstream, and what readers and outsiders may see and do."""

from __future__ import annotations

from typing import Any

import pytest

from gateway.store.tables import connections as connections_table
from tests.portal.conftest import Portal, keyed_connection, shot, sign_in
from tests.support import web

pytestmark = pytest.mark.browser

SECRET = "s3cret-" + "Qv7x" * 6


def test_create_a_connection_from_the_generated_form(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/new?connector=keyed")
    assert page.get_attribute("[name='p.api_key']", "type") == "password"
    assert page.locator("select[name='p.region'] option").all_inner_texts() == ["", "eu", "us"]
    page.fill("#name", "demo")
    page.fill("#displayName", "Demo connection")
    page.fill("#tags", "team=blue\nenv=test")
    page.fill("[name='p.api_key']", SECRET)
    page.select_option("[name='p.region']", "eu")
    page.fill("[name='p.retries']", "3")
    shot(page, "connection-new")
    page.click("#new-connection button[type=submit]")
    page.wait_for_url("**/portal/connections/demo")
    assert "Connected" in page.locator("#status").inner_text()
    html = page.content()
    assert SECRET not in html
    assert "api_key" in html and "stored encrypted" in html
    record = portal.services.connections.get("demo")
    assert (record.parameters, record.tags) == ({"region": "eu", "retries": 3},
                                               {"team": "blue", "env": "test"})
    assert portal.services.connections.secrets("demo") == {"api_key": SECRET}
    with portal.services.db.engine.connect() as conn:  # only encrypted at rest
        assert SECRET not in str(conn.execute(connections_table.select()).all())
    page.goto(portal.url + "/portal/connections")
    assert "Demo connection" in page.locator("#connections").inner_text()
    shot(page, "connections")


def test_a_refused_form_keeps_public_values_but_never_the_secret(portal: Portal,
                                                                 page: Any) -> None:
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/new?connector=keyed")
    page.fill("#name", "bad name!")
    page.fill("[name='p.api_key']", SECRET)
    page.fill("[name='p.retries']", "3")
    page.click("#new-connection button[type=submit]")
    assert "BadRequest" in page.locator("[role=alert]").inner_text()
    assert page.input_value("[name='p.retries']") == "3"
    assert page.input_value("[name='p.api_key']") == ""
    assert SECRET not in page.content()


def test_edit_tags_and_display_name_keeps_the_credentials(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "editable")
    before = portal.services.connections.secrets("editable")
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/editable")
    page.fill("#edit #displayName", "Renamed")
    page.fill("#edit #tags", "owner=ops")
    page.click("#edit button[type=submit]")
    page.wait_for_url("**/portal/connections/editable")
    assert page.locator("h1").inner_text() == "Renamed"
    record = portal.services.connections.get("editable")
    assert (record.display_name, record.tags) == ("Renamed", {"owner": "ops"})
    assert portal.services.connections.secrets("editable") == before


def test_test_a_connection(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "testable")
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/testable")
    page.click("#test")
    assert page.locator("[role=status]").inner_text() == (
        "Test finished: Connected, checked with credentials.")


def test_try_an_operation_against_a_loopback_upstream(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "tryable")
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/tryable")
    page.click("text=GetThing")
    page.fill("[name='a.id']", "<b>42</b><script>alert(1)</script>")
    page.click("#try button[type=submit]")
    assert page.locator("#answer-status").inner_text() == "HTTP 200"
    body = page.locator("#answer-body").inner_text()
    # The upstream echoed what reached it: the gateway added the key, the text stays text.
    assert '"x-api-key": "k-secret-tryable"' in body
    assert '"path": "/things/<b>42</b><script>alert(1)</script>"' in body
    assert page.locator("main b, main script").count() == 0
    assert page.dialogs == []
    assert "x-request-id" in page.locator("#answer-headers").inner_text()
    shot(page, "try-operation")
    assert portal.upstream.seen[-1]["headers"]["x-api-key"] == "k-secret-tryable"


def test_access_policies_are_granted_and_removed_by_owners(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "shared")
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/shared")
    page.fill("#grant #principal", "erin")
    page.click("#grant button[type=submit]")
    page.wait_for_url("**/portal/connections/shared")
    assert "erin" in page.locator("#access").inner_text()
    assert list(portal.services.connections.get("shared").access_policies) == ["erin"]
    shot(page, "connection")
    page.click("#access button:has-text('Remove')")
    page.wait_for_url("**/portal/connections/shared")
    assert "erin" not in portal.services.connections.get("shared").access_policies


def test_a_reader_sees_but_cannot_change(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "readonly", "Read only")
    sign_in(page, portal, portal.token("rita", "reader"))
    page.goto(portal.url + "/portal/connections/readonly")
    assert page.locator("h1").inner_text() == "Read only"
    for form in ("#edit", "#test", "#grant", "#consent"):
        assert page.locator(form).count() == 0, form
    assert "not call through it" in page.content()
    assert page.locator("text=New connection").count() == 0
    assert page.locator("text=Audit log").count() == 0
    page.goto(portal.url + "/portal/catalogue")
    assert page.locator("text=Upload a spec").count() == 0
    # Posting the form anyway is refused by the API's own role check; nothing changes.
    page.goto(portal.url + "/portal/connections")
    csrf = page.locator("header input[name=csrf]").get_attribute("value")
    refused = page.request.post(portal.url + "/portal/connections/readonly/edit",
                                form={"displayName": "hacked", "tags": "", "csrf": csrf})
    assert refused.status == 403
    assert "needs the contributor role" in refused.text()
    assert portal.services.connections.get("readonly").display_name == "Read only"
    audit = portal.services.audit.query(actor="rita", outcome="denied", limit=5)
    assert audit[0]["action"] == "connection.patch"


def test_without_access_no_secret_and_no_try(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "private-conn")
    sign_in(page, portal, portal.token("otto", "reader"))
    page.goto(portal.url + "/portal/connections/private-conn")
    assert "k-secret-private-conn" not in page.content()
    assert page.locator("a:has-text('GetThing')").count() == 0
    page.goto(portal.url + "/portal/connections/private-conn/try/GetThing")
    assert "You may not call through this connection." in page.content()
    csrf = page.locator("header input[name=csrf]").get_attribute("value")
    before = len(portal.upstream.seen)
    refused = page.request.post(portal.url + "/portal/connections/private-conn/try/GetThing",
                                form={"a.id": "1", "csrf": csrf})
    assert "HTTP <strong>403</strong>" in refused.text()
    assert "k-secret-private-conn" not in refused.text()
    assert len(portal.upstream.seen) == before  # nothing reached the upstream
    # Named in the access policies, the same reader may try it.
    granted = web.put(portal.url + "/v1/connections/private-conn/access-policies/otto",
                        headers={"authorization": f"Bearer {portal.owner_token}"})
    assert granted.status_code == 200
    page.goto(portal.url + "/portal/connections/private-conn/try/GetThing")
    page.fill("[name='a.id']", "7")
    page.click("#try button[type=submit]")
    assert page.locator("#answer-status").inner_text() == "HTTP 200"


def test_oauth_consent_in_the_browser(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/new?connector=oauthy")
    assert page.get_attribute("[name='p.client_secret']", "type") == "password"
    assert page.locator("[name='p.token']").count() == 0  # consent brings the token
    page.fill("#name", "mail")
    page.fill("[name='p.client_secret']", "cs-" + "Zq8w" * 8)
    page.click("#new-connection button[type=submit]")
    page.wait_for_url("**/portal/connections/mail")
    assert "Unauthenticated" in page.locator("#status").inner_text()
    page.click("#consent")
    link = page.locator("#to-provider")
    assert link.get_attribute("href").startswith(portal.authserver_url + "/authorize?")
    shot(page, "consent")
    link.click()  # the provider approves at once and sends the browser back
    page.wait_for_url("**/portal/connections/mail?consent=ok")
    assert "Connected" in page.locator("#status").inner_text()
    assert "Consent finished" in page.locator("[role=status]").inner_text()
    assert portal.services.connections.get("mail").status == "Connected"
    assert portal.authserver.grants_seen["authorization_code"] == 1
