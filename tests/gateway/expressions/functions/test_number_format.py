"""formatNumber, with the documented examples first."""

from __future__ import annotations

import pytest

from gateway.expressions import ArgumentTypeError

CASES = [
    ("@formatNumber(1234567890, '0,0.00', 'en-us')", "1,234,567,890.00"),
    ("@formatNumber(1234567890, '0,0.00', 'is-is')", "1.234.567.890,00"),
    ("@formatNumber(17.35, 'C2')", "$17.35"),
    # CLDR's Icelandic currency symbol is "kr." after a no-break space (docs/expressions.md).
    ("@formatNumber(17.35, 'C2', 'is-is')", "17,35\u00a0kr."),
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
    ("@formatNumber(4255550100, '(###) ###-####')", "(425) 555-0100"),
    ("@formatNumber(1234.5, '#,##0.00 EUR', 'de-DE')", "1.234,50 EUR"),
    ("@formatNumber(86000, '0.###E+0')", "8.6E+4"),
    ("@formatNumber(0.00012, '0.0e-00')", "1.2e-04"),
    ("@formatNumber(0.0045, '0.0‰')", "4.5‰"),
    ("@formatNumber(1.5, '.00')", "1.50"),
    ("@formatNumber(1234567.891, 'N2', 'fr-FR')", "1\u202f234\u202f567,89"),
    ("@formatNumber(1234567.891, 'N2', 'en-IN')", "12,34,567.89"),
    ("@formatNumber(-1234.5, 'C', 'nl-NL')", "\u20ac\u00a0-1.234,50"),
    ("@formatNumber(1234.5, 'C', 'ja-JP')", "\uffe51,235"),
    ("@formatNumber(0.256, 'P1', 'de-DE')", "25,6\u00a0%"),
    ("@formatNumber(-3.5, 'N1', 'sv-SE')", "\u22123,5"),
    ("@formatNumber(1e21, 'R')", "1E+21"),
    ("@formatNumber(0.000123, 'G2')", "0.00012"),
    ("@formatNumber(12345678, 'G2')", "1.2E+07"),
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
