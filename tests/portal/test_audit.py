"""The audit log page: owners read it, filtered; nobody else does."""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.conftest import Portal, keyed_connection, shot, sign_in

pytestmark = pytest.mark.browser


def test_owners_read_the_audit_log_filtered(portal: Portal, page: Any) -> None:
    keyed_connection(portal, "audited")
    sign_in(page, portal)
    page.goto(portal.url + "/portal/connections/audited")
    page.click("#test")
    page.click("text=Audit log")
    table = page.locator("#audit")
    assert "connection.test" in table.inner_text() and "portal.sign-in" in table.inner_text()
    page.fill("#action", "connection.test")
    page.click(".filters button[type=submit]")
    rows = page.locator("#audit tr")
    assert rows.count() == 2
    assert "connections/audited" in rows.nth(1).inner_text()
    assert "owner" in rows.nth(1).inner_text()
    shot(page, "audit")


def test_others_are_refused_the_audit_log(portal: Portal, page: Any) -> None:
    sign_in(page, portal, portal.token("cora", "contributor"))
    assert page.locator("text=Audit log").count() == 0
    page.goto(portal.url + "/portal/audit")
    assert page.locator("h1").inner_text() == "403 · Forbidden"
    assert "needs the owner role" in page.locator("[role=alert]").inner_text()


def test_without_the_runtime_the_workflows_page_says_so(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    page.click("header >> text=Workflows")
    assert "The workflow runtime is not installed" in page.locator(".notice").inner_text()
