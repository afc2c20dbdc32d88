"""formatNumber, with the documented examples first."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError

CASES = [
    ("@formatNumber(1234567890, '0,0.00', 'en-us')", "1,234,567,890.00"),
    ("@formatNumber(1234567890, '0,0.00', 'is-is')", "1.234.567.890,00"),
    ("@formatNumber(17.35, 'C2')", "$17.35"),
    ("@formatNumber(17.35, 'C2', 'is-is')", "17,35 kr"),
    ("@formatNumber(-17.35, 'C')", "-$17.35"),
    ("@formatNumber(1234.5678, 'N')", "1,234.57"),
    ("@formatNumber(1234.5678, 'N1', 'de-de')", "1.234,6"),
    ("@formatNumber(1234.5678, 'F3')", "1234.568"),
    ("@formatNumber(0.125, 'F2')", "0.13"),
    ("@formatNumber(42, 'D5')", "00042"),
    ("@formatNumber(-42, 'D5')", "-00042"),
    ("@formatNumber(255, 'X')", "FF"),
    ("@formatNumber(255, 'x4')", "00ff"),
    ("@formatNumber(0.256, 'P1')", "25.6%"),
    ("@formatNumber(1052.0329112756, 'E')", "1.052033E+003"),
    ("@formatNumber(1052.0329112756, 'e2')", "1.05e+003"),
    ("@formatNumber(12.5, 'G')", "12.5"),
    ("@formatNumber(123.456, 'G4')", "123.5"),
    ("@formatNumber(123.456, '#.#')", "123.5"),
    ("@formatNumber(0.5, '#.##')", ".5"),
    ("@formatNumber(5, '000')", "005"),
    ("@formatNumber(1234567, '#,#')", "1,234,567"),
    ("@formatNumber(1234567, '#,##0,K')", "1,235K"),
    ("@formatNumber(0.42, '0%')", "42%"),
    ("@formatNumber(-5, '0;(0)')", "(5)"),
    ("@formatNumber(0, '0;(0);zero')", "zero"),
    ("@formatNumber(-1.5, '0.0')", "-1.5"),
    ("@formatNumber(12, \'\'\'#\'\'0\')", "#12"),
]


@pytest.mark.parametrize(("expression", "expected"), CASES)
def test_examples(ev, expression, expected):
    assert ev(expression) == expected


@pytest.mark.parametrize("expression", [
    "@formatNumber(1.5, 'D')", "@formatNumber('1', 'F2')", "@formatNumber(1, 'F2', 'xx-yy')",
    "@formatNumber(1, 'F999')",
])
def test_bad_arguments(ev, expression):
    with pytest.raises(ArgumentTypeError):
        ev(expression)
