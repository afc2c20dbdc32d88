"""The README's walk-through, exactly as written and in order, against a fresh ``make run``.

The commands are read out of README.md: the line that starts the gateway, then the block
typed in the other terminal. They run in a copy of the project (the tracked files and this
virtualenv) with no ``var/`` yet, in a network namespace of their own, so the README's fixed
ports (8080 and 9000) cannot clash with anything else on the machine.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"

pytestmark = pytest.mark.slow


def walkthrough() -> tuple[str, list[str]]:
    """(the command that starts the gateway, the commands of the other terminal)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Try it by hand", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"((?:\n {4}[^\n]*)+)", section)
    start, rest = (
        "\n".join(line[4:] for line in block.strip("\n").splitlines()) for block in blocks[:2])
    return start, rest.splitlines()


def _project_copy(target: Path) -> None:
    """The tracked files, with times kept (make must see the install as up to date), and a
    ``.venv`` that is this one."""
    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True,
                            check=True).stdout.decode().split("\0")
    for name in filter(None, listed):
        source = ROOT / name
        if source.is_file() and not name.startswith("tests/"):
            (target / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / name)
    venv = target / ".venv"
    venv.mkdir()
    for entry in Path(sys.prefix).iterdir():
        if not entry.name.startswith("."):
            (venv / entry.name).symlink_to(entry)
    for stamp in (".installed", ".installed-test"):
        (venv / stamp).touch()


def _json_values(text: str) -> list[dict[str, object]]:
    """The JSON objects curl printed one after the other (it adds no newline)."""
    decoder, values, at = json.JSONDecoder(), [], 0
    while (start := text.find("{", at)) != -1:
        value, at = decoder.raw_decode(text, start)
        values.append(value)
    return values


def _isolated() -> list[str]:
    """The prefix that runs a command in a network namespace of its own, if possible."""
    unshare = shutil.which("unshare")
    if unshare and subprocess.run([unshare, "-n", "true"], capture_output=True).returncode == 0:
        return [unshare, "-n"]
    pytest.skip("cannot make a network namespace (unshare -n) for the README's fixed ports")


@pytest.mark.timeout(240)
def test_the_walkthrough_works_as_written(tmp_path: Path) -> None:
    start, commands = walkthrough()
    assert start == "PORTWAY_EGRESS_ALLOW=127.0.0.1/32 make run"
    assert commands[0].startswith("python3 docs/examples/echo_upstream.py 9000 &")
    project = tmp_path / "portway"
    project.mkdir()
    _project_copy(project)
    script = project / "walkthrough.sh"
    script.write_text("\n".join([
        "set -u",
        "ip link set lo up",
        f"( {start} ) > serve.log 2>&1 &",
        "for i in $(seq 600); do curl -sf localhost:8080/healthz >/dev/null && break; "
        "sleep 0.1; done",
        "echo '--- walkthrough'",
        *commands,
        "",
    ]))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTWAY_")}
    env["PATH"] = f"{project / '.venv' / 'bin'}:{env['PATH']}"
    # Files, not pipes: the servers the walk-through leaves running hold their ends open.
    with (project / "out.txt").open("w") as stdout, (project / "err.txt").open("w") as stderr:
        process = subprocess.Popen([*_isolated(), "bash", str(script)], cwd=project,
                                   env=env, stdout=stdout, stderr=stderr,
                                   start_new_session=True)
    try:
        process.wait(timeout=150)
    finally:
        try:
            os.killpg(process.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        time.sleep(0.2)
        try:
            os.killpg(process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    out = (project / "out.txt").read_text(errors="replace")
    err = (project / "err.txt").read_text(errors="replace")
    served = (project / "serve.log").read_text(errors="replace")
    assert "serving on http://127.0.0.1:8080" in served, served
    printed = _json_values(out.split("--- walkthrough\n", 1)[1])
    assert len(printed) == 2, out
    connection, echoed = printed
    assert (connection["name"], connection["status"]) == ("demo", "Connected"), printed
    headers = {k.lower(): v for k, v in echoed["headers"].items()}
    assert headers["x-api-key"] == "s3cret"
    assert echoed["path"] == "/items/42"
    assert "ok" in err and "-> echo (version 1)" in err, err
    assert "Traceback" not in served + err
