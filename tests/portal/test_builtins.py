"""The portal's catalogue with the runtime plugged in: the built-in connectors are listed
with their badge, and a built-in's page shows its operations and connection parameters
and says where its connections live instead of offering to create one."""

from __future__ import annotations

from typing import Any

from runtime.extension import RuntimeExtension
from tests.portal.conftest import Portal, sign_in

EXTENSIONS = [RuntimeExtension()]


def test_the_catalogue_shows_the_built_in_connectors_read_only(portal: Portal,
                                                               page: Any) -> None:
    sign_in(page, portal)
    page.goto(portal.url + "/portal/catalogue?kind=builtin")
    assert page.locator("a[href='/portal/connectors/smtp']").count() == 1
    assert "keyed" not in page.content()
    page.goto(portal.url + "/portal/connectors/smtp")
    operation = page.locator("#op-sendEmail")
    assert "Send email" in operation.inner_text()
    content = page.content()
    assert "builtin" in content and "securestring" in content and "serverAddress" in content
    assert "/serviceProviders/Smtp" in content and "serviceProviderConnections" in content
    assert "Create a connection" not in content
