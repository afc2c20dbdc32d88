"""The few number-formatting cultures ``formatNumber`` and ``float`` know.

Each entry: decimal separator, group separator, currency symbol, and the currency
patterns (.NET's NumberFormatInfo CurrencyPositivePattern / CurrencyNegativePattern
spelled out with ``n`` for the number and ``$`` for the symbol). ``en-us`` is the
default, as in Logic Apps.
"""

from __future__ import annotations

from dataclasses import dataclass

from gateway.expressions.errors import ArgumentTypeError


@dataclass(frozen=True)
class Culture:
    """Number formatting conventions of one locale."""

    decimal: str
    group: str
    currency: str
    currency_positive: str
    currency_negative: str
    percent_positive: str = "n %"
    percent_negative: str = "-n %"


_NBSP = "\u00a0"
_NNBSP = "\u202f"

CULTURES: dict[str, Culture] = {
    "en-us": Culture(".", ",", "$", "$n", "-$n", "n%", "-n%"),
    "en-gb": Culture(".", ",", "£", "$n", "-$n", "n%", "-n%"),
    "en-ca": Culture(".", ",", "$", "$n", "-$n", "n%", "-n%"),
    "en-au": Culture(".", ",", "$", "$n", "-$n", "n%", "-n%"),
    "en-in": Culture(".", ",", "₹", "$n", "-$n", "n%", "-n%"),
    "de-de": Culture(",", ".", "€", "n $", "-n $", "n %", "-n %"),
    "fr-fr": Culture(",", _NNBSP, "€", "n $", "-n $", "n %", "-n %"),
    "es-es": Culture(",", ".", "€", "n $", "-n $", "n %", "-n %"),
    "it-it": Culture(",", ".", "€", "n $", "-n $", "n%", "-n%"),
    "nl-nl": Culture(",", ".", "€", "$ n", "$ -n", "n%", "-n%"),
    "pt-br": Culture(",", ".", "R$", "$ n", "-$ n", "n%", "-n%"),
    "sv-se": Culture(",", _NBSP, "kr", "n $", "-n $", "n %", "-n %"),
    "is-is": Culture(",", ".", "kr", "n $", "-n $", "n%", "-n%"),
    "ja-jp": Culture(".", ",", "￥", "$n", "-$n", "n%", "-n%"),
    "zh-cn": Culture(".", ",", "¥", "$n", "-$n", "n%", "-n%"),
    "invariant": Culture(".", ",", "¤", "$n", "-$n", "n %", "-n %"),
}


def culture(name: str | None, index: int) -> Culture:
    """Return the culture called ``name`` (any case), ``en-us`` when None."""
    if name is None or name == "":
        return CULTURES["en-us"]
    found = CULTURES.get(name.lower())
    if found is None:
        raise ArgumentTypeError(f"argument {index}: the locale '{name}' is not supported",
                                details=[{"argument": index}])
    return found
