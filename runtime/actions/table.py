"""The ``Table`` action (Create CSV table, Create HTML table).

``inputs``: ``from`` (an array of objects), ``format`` (``CSV`` or ``HTML``) and
optionally ``columns`` (``[{"header", "value"}]``, each ``value`` evaluated once per row
with ``item()`` bound to the row). Without ``columns`` the headers are the rows' keys in
the order they first appear. Cells are spelled as ``string()`` spells values (null is
empty, objects compact JSON). CSV quotes a cell holding a comma, a double quote or a line
break and doubles its quotes, and ends every line with CRLF; HTML encodes ``& < > " '``
as .NET's HtmlEncode does.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from gateway.expressions import to_string
from runtime.actions.base import ActionContext, ActionResult, Finding
from runtime.actions.common import (
    LeafHandler,
    check_kind,
    failed,
    is_expression_text,
    require,
    succeeded,
)
from runtime.actions.schema_errors import json_type_word

FORMATS = ("CSV", "HTML")
_HTML = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}


def csv_cell(text: str) -> str:
    if any(mark in text for mark in (",", '"', "\n", "\r")):
        return '"' + text.replace('"', '""') + '"'
    return text


def html_cell(text: str) -> str:
    return "".join(_HTML.get(char, char) for char in text)


def csv_table(headers: list[str], rows: list[list[str]]) -> str:
    lines = [headers, *rows]
    return "".join(",".join(csv_cell(cell) for cell in line) + "\r\n" for line in lines)


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html_cell(cell)}</th>" for cell in headers)
    body = "".join("<tr>" + "".join(f"<td>{html_cell(cell)}</td>" for cell in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


class Table(LeafHandler):
    type = "Table"
    pure = True
    deferred_inputs = frozenset({"columns"})

    def check_inputs(self, inputs: Mapping[str, Any], action: Mapping[str, Any], pointer: str,
                     findings: list[Finding]) -> None:
        require(inputs, "from", pointer, findings, kinds=(list,))
        kind = require(inputs, "format", pointer, findings, kinds=(str,))
        if isinstance(kind, str) and not is_expression_text(kind) \
                and kind.upper() not in FORMATS:
            findings.append(Finding(f"{pointer}/inputs/format",
                                    "'inputs.format' is 'CSV' or 'HTML'"))
        columns = check_kind(inputs, "columns", pointer, findings, kinds=(list,))
        for index, column in enumerate(columns if isinstance(columns, list) else []):
            if not isinstance(column, Mapping) or "value" not in column:
                findings.append(Finding(f"{pointer}/inputs/columns/{index}",
                                        "each column is an object with a 'value'"))

    async def run(self, context: ActionContext) -> ActionResult:
        inputs = context.inputs if isinstance(context.inputs, Mapping) else {}
        rows = inputs.get("from")
        kind = str(inputs.get("format", "")).upper()
        if not isinstance(rows, list):
            return failed("InvalidTemplate",
                          "The 'from' property value in the 'table' action inputs is of type "
                          f"'{json_type_word(rows)}'. The value must be an array.")
        if kind not in FORMATS:
            return failed("InvalidTemplate", "The 'format' of a Table action is 'CSV' or "
                                             f"'HTML', not '{inputs.get('format')}'.")
        columns = inputs.get("columns")
        if isinstance(columns, list) and columns:
            headers = [to_string(context.evaluate(column.get("header", "")))
                       for column in columns]
            cells = [[to_string(context.evaluate_for_item(column.get("value"), row))
                      for column in columns] for row in rows]
        else:
            headers = []
            for row in rows:
                for key in row if isinstance(row, Mapping) else ():
                    if key not in headers:
                        headers.append(key)
            cells = [[to_string(row.get(key)) if isinstance(row, Mapping) else ""
                      for key in headers] for row in rows]
        text = csv_table(headers, cells) if kind == "CSV" else html_table(headers, cells)
        return succeeded({"body": text})
