import asyncio

import pytest

from gateway.boundedjson import JsonLimits, aloads, loads
from gateway.errors import BadRequest

LIMITS = JsonLimits(max_depth=3, max_number_length=5)


def test_values_within_the_bounds_parse_as_json_does() -> None:
    assert loads(b'{"a": [1, -2.5, {"b": 12345}], "c": "9999999999"}', limits=LIMITS) == {
        "a": [1, -2.5, {"b": 12345}], "c": "9999999999"}


@pytest.mark.parametrize(("text", "message"), [
    ('{"a": 123456}', "a number of 6 characters; at most 5"),
    ('[1.23456]', "a number of 7 characters"),
    ('[[[[1]]]]', "deeper than 3 levels"),
    ('{"a": {"b": {"c": {}}}}', "deeper than 3 levels"),
    ('[NaN]', "holds NaN"),
    ('[-Infinity]', "holds -Infinity"),
    ('[1e999]', "too large for a double"),
    ('{"a": 1', "not JSON: a syntax error at line 1, column 8"),
    (b'["\xff"]', "not UTF-8"),
])
def test_what_is_out_of_bounds_is_a_bad_request_naming_the_bound(text: str | bytes,
                                                                  message: str) -> None:
    with pytest.raises(BadRequest) as raised:
        loads(text, limits=LIMITS)
    assert message in raised.value.message


def test_nesting_past_the_interpreter_s_recursion_limit_is_a_bad_request() -> None:
    with pytest.raises(BadRequest) as raised:
        loads("[" * 100_000 + "]" * 100_000)
    assert "deeper than 128 levels" in raised.value.message


def test_long_bodies_parse_in_a_worker_thread_with_the_same_bounds() -> None:
    long = "[" + ",".join(["1"] * 40_000) + "]"
    assert asyncio.run(aloads(long)) == [1] * 40_000
    with pytest.raises(BadRequest):
        asyncio.run(aloads("[" + "0" * 70_000 + "]"))
