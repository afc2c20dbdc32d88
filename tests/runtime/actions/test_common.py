"""Status code words as .NET's HttpStatusCode names them, and the shape checks."""

from __future__ import annotations

import pytest

from runtime.actions.base import Finding
from runtime.actions.common import check_kind, retryable_status, status_code_word


@pytest.mark.parametrize(("status", "word"), [
    (200, "OK"), (201, "Created"), (202, "Accepted"), (204, "NoContent"),
    (203, "NonAuthoritativeInformation"), (302, "Found"), (400, "BadRequest"),
    (401, "Unauthorized"), (404, "NotFound"), (409, "Conflict"),
    (413, "RequestEntityTooLarge"), (414, "RequestUriTooLong"), (422, "UnprocessableEntity"),
    (429, "TooManyRequests"), (500, "InternalServerError"), (502, "BadGateway"),
    (504, "GatewayTimeout"), (505, "HttpVersionNotSupported"), (599, "599"),
])
def test_status_code_words(status: int, word: str) -> None:
    assert status_code_word(status) == word


def test_retryable_statuses() -> None:
    assert [s for s in (200, 400, 404, 408, 429, 500, 503) if retryable_status(s)] == [
        408, 429, 500, 503]


def test_check_kind_accepts_expressions_and_refuses_booleans_as_numbers() -> None:
    findings: list[Finding] = []
    check_kind({"n": "@add(1, 2)"}, "n", "/a", findings, kinds=(int,))
    check_kind({"n": True}, "n", "/a", findings, kinds=(int,))
    check_kind({"n": "@@literal"}, "n", "/a", findings, kinds=(int,))
    assert findings == [Finding("/a/inputs/n", "'inputs.n' must be an integer")] * 2
