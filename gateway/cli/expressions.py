"""``portway expr eval``: evaluate workflow-language expressions."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any


def register(commands: Any) -> None:
    parser = commands.add_parser("expr", help="workflow expressions")
    sub = parser.add_subparsers(dest="expr_command", required=True, metavar="ACTION")
    evaluate = sub.add_parser("eval", help="evaluate EXPR, or JSON lines from stdin")
    evaluate.add_argument("expr", nargs="?")
    evaluate.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    from gateway.errors import PortwayError
    from gateway.expressions import evaluate, to_json_compatible

    if args.expr is not None:
        try:
            print(json.dumps(to_json_compatible(evaluate(args.expr, {}))))
        except PortwayError as exc:
            print(json.dumps({"error": exc.message}), file=sys.stderr)
            return 1
        return 0
    failed = False
    for line in sys.stdin:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if not isinstance(request, dict) or not isinstance(request.get("expr"), str):
                raise ValueError('each line must be {"expr": "...", "context": {...}}')
            context = request.get("context") or {}
            if not isinstance(context, dict):
                raise ValueError("context must be an object")
            value = to_json_compatible(evaluate(request["expr"], context))
            out: dict[str, Any] = {"value": value}
        except PortwayError as exc:
            out, failed = {"error": exc.message}, True
        except (ValueError, json.JSONDecodeError) as exc:
            out, failed = {"error": str(exc)}, True
        print(json.dumps(out, default=str), flush=True)
    return 1 if failed else 0
