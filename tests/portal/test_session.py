"""Signing in and out, the session cookie, CSRF refusals and the security headers."""

from __future__ import annotations

from typing import Any

import pytest

from tests.portal.conftest import Portal, keyed_connection, shot, sign_in
from tests.support import web

pytestmark = pytest.mark.browser


def test_root_redirects_to_the_portal_and_then_to_sign_in(portal: Portal, page: Any) -> None:
    page.goto(portal.url + "/")
    assert page.url == portal.url + "/portal/sign-in?next=/portal/"
    assert page.locator("h1").inner_text() == "Sign in to Portway"
    shot(page, "sign-in")


def test_a_wrong_token_is_refused_and_a_right_one_signs_in(portal: Portal, page: Any) -> None:
    page.goto(portal.url + "/portal/connections")
    page.fill("#token", "pw_not-a-token")
    page.click("button[type=submit]")
    assert page.locator("[role=alert]").inner_text() == "That token is not valid."
    page.fill("#token", portal.owner_token)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/connections")  # back where the visitor was going
    assert page.locator("h1").inner_text() == "Connections"
    cookies = {c["name"]: c for c in page.context.cookies()}
    cookie = cookies["portway_portal"]
    assert (cookie["httpOnly"], cookie["sameSite"], cookie["path"]) == (True, "Strict",
                                                                         "/portal")
    assert cookie["expires"] > 0  # not a browser-session cookie: it has an expiry
    assert portal.owner_token not in cookie["value"]


def test_sign_out_ends_the_session(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    page.click("text=Sign out")
    page.wait_for_url("**/portal/sign-in")
    page.goto(portal.url + "/portal/catalogue")
    assert "/portal/sign-in" in page.url


def test_a_forged_or_expired_cookie_is_not_a_session(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    value = {c["name"]: c for c in page.context.cookies()}["portway_portal"]["value"]
    page.context.clear_cookies()
    payload, _, signature = value.rpartition(".")
    page.context.add_cookies([{"name": "portway_portal", "value": payload + ".AAAA" + signature,
                               "url": portal.url + "/portal/"}])
    page.goto(portal.url + "/portal/catalogue")
    assert "/portal/sign-in" in page.url


def test_a_revoked_principal_loses_the_session_at_once(portal: Portal, page: Any) -> None:
    token = portal.token("dora", "reader")
    sign_in(page, portal, token)
    with portal.services.db.engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM tokens WHERE principal = 'dora'")
    page.goto(portal.url + "/portal/catalogue")
    assert "/portal/sign-in" in page.url


def test_every_page_sends_a_strict_content_security_policy(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    for path in ("/portal/catalogue", "/portal/sign-in", "/portal/static/portal.css",
                 "/portal/connections"):
        response = page.request.get(portal.url + path)
        assert response.status == 200
        policy = response.headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src" not in policy
        assert "form-action 'self'" in policy and "frame-ancestors 'none'" in policy
        assert response.headers["x-content-type-options"] == "nosniff"


def test_a_form_without_its_csrf_token_is_refused(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    keyed_connection(portal, "csrf-target", "before")
    # The session cookie goes along (same context), the token does not.
    refused = page.request.post(portal.url + "/portal/connections/csrf-target/edit",
                                form={"displayName": "after", "tags": ""})
    assert refused.status == 403
    assert "CsrfRefused" in refused.text()
    stale = page.request.post(portal.url + "/portal/connections/csrf-target/edit",
                              form={"displayName": "after", "tags": "", "csrf": "stale"})
    assert stale.status == 403
    assert portal.services.connections.get("csrf-target").display_name == "before"


def test_a_form_from_another_origin_is_refused(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    keyed_connection(portal, "origin-target", "kept")
    page.goto(portal.url + "/portal/connections/origin-target")
    csrf = page.locator("#edit input[name=csrf]").get_attribute("value")
    # Even with the right token, a post that says it comes from elsewhere is refused.
    refused = page.request.post(portal.url + "/portal/connections/origin-target/edit",
                                form={"displayName": "changed", "tags": "", "csrf": csrf},
                                headers={"origin": "http://evil.example"})
    assert refused.status == 403
    assert "evil.example" in refused.text()
    # A real cross-site form, submitted in the browser from a page of another origin
    # (served by Playwright at a made-up address).
    evil = (f'<form method="post" action="{portal.url}/portal/connections/origin-target/'
            f'delete"><input name="csrf" value="{csrf}"><button id="go">go</button></form>')
    page.route("http://evil.example/**", lambda route: route.fulfill(
        status=200, content_type="text/html", body=evil))
    page.goto("http://evil.example/form")
    with page.expect_navigation():
        page.click("#go")
    assert page.url == portal.url + "/portal/connections/origin-target/delete"
    assert "CsrfRefused" in page.content() or "sign in first" in page.content()
    assert portal.services.connections.get("origin-target").display_name == "kept"


def test_the_api_is_untouched_by_portal_sessions(portal: Portal, page: Any) -> None:
    sign_in(page, portal)
    # The cookie is scoped to /portal: the API still needs a bearer token.
    assert page.request.get(portal.url + "/v1/connections").status == 401
    assert web.get(portal.url + "/v1/connections", headers={
        "authorization": f"Bearer {portal.owner_token}"}).status_code == 200


def test_a_principal_with_one_connection_lands_on_what_it_may_see(portal: Portal,
                                                                  page: Any) -> None:
    keyed_connection(portal, "theirs")
    keyed_connection(portal, "not-theirs")
    token = portal.token("uma", "contributor", scope="connections/theirs")
    page.goto(portal.url + "/portal/sign-in")
    page.fill("#token", token)
    page.click("button[type=submit]")
    page.wait_for_url("**/portal/connections")
    listed = page.locator("#connections").inner_text()
    assert "theirs" in listed and "not-theirs" not in listed
    assert page.locator("header >> text=Audit log").count() == 0
