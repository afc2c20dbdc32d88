"""Culture data from CLDR: every locale Babel knows formats and reads back its own text."""

from __future__ import annotations

import pytest
from babel import localedata

from gateway.expressions import ArgumentTypeError, evaluate
from gateway.expressions.functions.cultures import culture, dotnet_pattern

LOCALES = sorted(name.replace("_", "-") for name in localedata.locale_identifiers()
                 if name.count("_") == 1)


def _round_trip(locale: str) -> list[str]:
    problems = []
    text = evaluate(f"@formatNumber(-1234567.891, 'N2', '{locale}')")
    if evaluate(f"@float(parameters('t'), '{locale}')", {"parameters": {"t": text}}) \
            != -1234567.89:
        problems.append(f"number {text!r}")
    for fmt in ("d", "D", "g", "f"):
        text = evaluate(f"@formatDateTime('2018-03-15T13:05:00', '{fmt}', '{locale}')")
        back = evaluate(f"@parseDateTime(parameters('t'), '{locale}')",
                        {"parameters": {"t": text}})
        if not back.startswith("2018-03-15"):
            problems.append(f"{fmt} {text!r} -> {back}")
    return problems


#: Dzongkha writes the time as numbers between words ("ཆུ་ཚོད་ 1 སྐར་མ་ 05"), which the
#: culture-free time reader does not take.
UNREADABLE = {"dz-BT"}


@pytest.mark.slow
def test_every_locale_reads_back_what_it_writes():
    assert len(LOCALES) > 500
    failures = {}
    for locale in LOCALES:
        try:
            problems = _round_trip(locale)
        except ArgumentTypeError as error:
            problems = [error.message]
        if problems and locale not in UNREADABLE:
            failures[locale] = problems
    assert failures == {}


@pytest.mark.parametrize(("name", "decimal", "group", "currency"), [
    (None, ".", ",", "$"), ("en-us", ".", ",", "$"), ("DE-de", ",", ".", "€"),
    ("fr", ",", "\u202f", "€"), ("ja-JP", ".", ",", "￥"), ("", ".", ",", "¤"),
    ("invariant", ".", ",", "¤"), ("zh-Hans-CN", ".", ",", "¥"),
])
def test_locale_names_in_any_case(name, decimal, group, currency):
    found = culture(name, 1)
    assert (found.decimal, found.group, found.currency_symbol) == (decimal, group, currency)


@pytest.mark.parametrize("name", ["xx-YY", "en-", "1234", "e", "en US", "../etc"])
def test_unknown_locales_are_refused(name):
    with pytest.raises(ArgumentTypeError):
        culture(name, 3)


@pytest.mark.parametrize(("cldr", "dotnet"), [
    ("EEEE, MMMM d, y", "dddd, MMMM d, yyyy"),
    ("h:mm:ss\u202fa", "h:mm:ss tt"),
    ("d 'de' MMMM 'de' y", "d 'de' MMMM 'de' yyyy"),
    ("dd.MM.yy", "dd.MM.yy"),
    ("HH:mm:ss zzzz", "HH:mm:ss"),
    ("LLLL y", "MMMM yyyy"),
])
def test_cldr_patterns_become_dotnet_patterns(cldr, dotnet):
    assert dotnet_pattern(cldr) == dotnet
