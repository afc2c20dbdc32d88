"""zeep's Python values to JSON, the one direction zeep does not do for us.

zeep accepts JSON-shaped input (dicts, lists, strings, numbers) for its keyword
arguments, so only answers need converting: ``serialize_object`` makes plain dicts, and
this module turns what remains (decimals, dates, bytes, stray XML) into JSON values.
"""

from __future__ import annotations

import base64
import datetime
import decimal
from typing import Any

from lxml import etree
from zeep.helpers import serialize_object


def to_json(value: Any) -> Any:
    """A JSON-ready copy of a value zeep parsed."""
    return _plain(serialize_object(value, target_cls=dict))  # type: ignore[no-untyped-call]


def _plain(value: Any) -> Any:
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() and abs(value) < 2**53 \
            else float(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, datetime.timedelta):
        return value.total_seconds()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, etree._Element):
        return xml_to_json(value)
    if isinstance(value, etree.QName):
        return value.text
    return str(value)


def xml_to_json(element: etree._Element) -> Any:
    """A generic JSON view of XML (fault details, ``xsd:any`` content).

    Leaves become their text; elements with children become objects keyed by local
    name, repeated names become lists, attributes are kept under ``@name``.
    """
    children = [c for c in element if isinstance(c.tag, str)]
    attributes = {f"@{etree.QName(k).localname}": v for k, v in element.attrib.items()
                  if not k.startswith("{http://www.w3.org/2001/XMLSchema-instance}")}
    if not children:
        text = (element.text or "").strip()
        if attributes:
            return {**attributes, "#text": text} if text else attributes
        return text
    result: dict[str, Any] = dict(attributes)
    for child in children:
        name = etree.QName(child).localname
        value = xml_to_json(child)
        if name in result:
            existing = result[name]
            result[name] = [*existing, value] if isinstance(existing, list) else [existing, value]
        else:
            result[name] = value
    return result
