"""``portway expr eval`` in a real subprocess: one expression, and JSON lines on stdin."""

from __future__ import annotations

import json
import subprocess
import sys

COMMAND = [sys.executable, "-c", "from gateway.cli import main; raise SystemExit(main())",
           "expr", "eval"]


def test_single_expression():
    done = subprocess.run([*COMMAND, "@createArray(add(1, 2), binary('x'))"],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == [
        3, {"$content-type": "application/octet-stream", "$content": "eA=="}]


def test_single_expression_error_exits_1_without_a_traceback():
    done = subprocess.run([*COMMAND, "@concat('a'"], capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "column 12" in json.loads(done.stderr)["error"]


def test_json_lines():
    lines = "\n".join(json.dumps(line) for line in [
        {"expr": "@parameters('n')", "context": {"parameters": {"n": 5}}},
        {"expr": "@div(1, 0)"},
        {"expr": "text @{toUpper('x')}"},
    ])
    done = subprocess.run(COMMAND, input=lines, capture_output=True, text=True, timeout=60,
                          check=False)
    results = [json.loads(line) for line in done.stdout.splitlines()]
    assert results[0] == {"value": 5}
    assert results[1]["error"].startswith("div(): the second argument must not be zero")
    assert results[2] == {"value": "text X"}
    assert done.returncode == 1
