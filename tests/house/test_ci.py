"""CI runs what ``make lint`` runs (ruff and mypy --strict) before the suite."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_ci_runs_the_lint_before_the_suite(tmp_path: Path) -> None:
    # A stand-in ``make`` that records how it was called: .ci/run is run for real.
    calls = tmp_path / "calls"
    shim = tmp_path / "make"
    shim.write_text(f'#!/bin/sh\necho "$*" >> {calls}\n')
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{tmp_path}:{os.environ['PATH']}"}
    env.pop("PYTEST_ARGS", None)
    subprocess.run([str(ROOT / ".ci" / "run")], env=env, check=True, timeout=30)
    assert calls.read_text().splitlines() == ["lint", "test PYTEST_ARGS="]


def test_make_lint_is_ruff_and_strict_mypy_over_every_package() -> None:
    planned = subprocess.run(["make", "-n", "lint"], cwd=ROOT,
                             capture_output=True, text=True, check=True, timeout=30).stdout
    lines = [line for line in planned.splitlines() if "ruff" in line or "mypy" in line]
    assert lines == [".venv/bin/ruff check gateway importers runtime tests bench",
                     ".venv/bin/mypy"]
    pyproject = (ROOT / "pyproject.toml").read_text()
    assert 'strict = true' in pyproject
    assert 'packages = ["gateway", "importers", "runtime"]' in pyproject
