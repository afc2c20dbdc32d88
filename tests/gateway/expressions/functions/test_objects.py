"""Object manipulation functions, with the documented examples as the table."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError

CASES = [
    ("@addProperty(json('{ \"firstName\": \"Sophia\", \"surName\": \"Owen\" }'), "
     "'middleName', 'Anne')",
     {"firstName": "Sophia", "surName": "Owen", "middleName": "Anne"}),
    ("@setProperty(json('{ \"customerName\": { \"firstName\": \"Sophia\", \"surName\": "
     "\"Owen\" } }'), 'customerName', addProperty(json('{ \"customerName\": { \"firstName\": "
     "\"Sophia\", \"surName\": \"Owen\" } }')['customerName'], 'middleName', 'Anne'))",
     {"customerName": {"firstName": "Sophia", "surName": "Owen", "middleName": "Anne"}}),
    ("@setProperty(json('{ \"firstName\": \"Sophia\", \"surName\": \"Owen\" }'), "
     "'surName', 'Hartnett')", {"firstName": "Sophia", "surName": "Hartnett"}),
    ("@removeProperty(json('{ \"firstName\": \"Sophia\", \"middleName\": \"Anne\", "
     "\"surName\": \"Owen\" }'), 'middleName')", {"firstName": "Sophia", "surName": "Owen"}),
    ("@removeProperty(json('{\"a\": 1}'), 'b')", {"a": 1}),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_documented_examples(ev, expression, expected):
    assert ev(expression) == expected


def test_add_property_refuses_an_existing_name(ev):
    with pytest.raises(ArgumentTypeError) as caught:
        ev("@addProperty(json('{\"a\": 1}'), 'a', 2)")
    assert caught.value.function == "addProperty"


def test_set_property_leaves_the_context_untouched(ev):
    original = {"a": 1}
    assert ev("@setProperty(body(), 'b', 2)", body=original) == {"a": 1, "b": 2}
    assert original == {"a": 1}
