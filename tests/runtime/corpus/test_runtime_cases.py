"""Every runtime case of ``../shared/corpus/runtime-cases/`` against the real ``portway serve``.

One Portway server and one mock server serve the whole module; each case loads its mock
rules, app settings and workflow, sends its trigger and compares the run record, the
Response bytes and the mock's request log with what the real Logic Apps runtime did. A
case that needs what only the Logic Apps host has is skipped with the reason.

``PORTWAY_CORPUS_REPORT=<file>`` appends one JSON line per case (id, outcome,
differences) for the status board; ``PORTWAY_CORPUS_BACKEND=postgresql`` runs the server
on the suite's PostgreSQL instead of SQLite.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import corpus_dir
from tests.runtime.corpus.cases import case_paths, load_case
from tests.runtime.corpus.known_gaps import KNOWN_GAPS
from tests.runtime.corpus.mock import MockServer, serve_mock
from tests.runtime.corpus.runner import CaseRunner, differences
from tests.support.databases import create_database, drop_database
from tests.support.servers import portway_process

pytestmark = [pytest.mark.corpus, pytest.mark.slow]

CASES = [
    pytest.param(case_id, marks=pytest.mark.xfail(reason=KNOWN_GAPS[case_id], strict=False))
    if case_id in KNOWN_GAPS else case_id
    for case_id in [path.stem for path in case_paths(corpus_dir())] or ["<no corpus>"]
]


@pytest.fixture(scope="module")
def mock() -> Iterator[MockServer]:
    with serve_mock() as server:
        yield server


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory, mock: MockServer,
           request: pytest.FixtureRequest) -> Iterator[CaseRunner]:
    workdir = tmp_path_factory.mktemp("portway-corpus")
    env = {"PORTWAY_EGRESS_ALLOW": "127.0.0.1/32"}
    database = None
    if os.environ.get("PORTWAY_CORPUS_BACKEND") == "postgresql":
        server: str = request.getfixturevalue("postgres_server_url")
        database = (server, "corpus_" + uuid.uuid4().hex[:12])
        env["PORTWAY_DATABASE_URL"] = create_database(*database)
    with portway_process(workdir, env) as (base, _):
        token = (workdir / "var" / "owner.token").read_text().strip()
        case_runner = CaseRunner(base, token, mock)
        try:
            yield case_runner
        finally:
            case_runner.close()
    if database is not None:
        drop_database(*database)


def _report(case_id: str, outcome: str, diffs: list[str]) -> None:
    target = os.environ.get("PORTWAY_CORPUS_REPORT")
    if target:
        with Path(target).open("a", encoding="utf-8") as out:
            out.write(json.dumps({"case": case_id, "outcome": outcome, "diffs": diffs}) + "\n")


@pytest.mark.timeout(300)
@pytest.mark.parametrize("case_id", CASES)
def test_runtime_case(case_id: str, corpus: Path, request: pytest.FixtureRequest) -> None:
    case = load_case(corpus / "runtime-cases" / f"{case_id}.json")
    reason = case.skip_reason()
    if reason:
        _report(case_id, "skipped", [reason])
        pytest.skip(reason)
    runner: CaseRunner = request.getfixturevalue("runner")
    try:
        observed = runner.observe(case)
    except AssertionError as exc:
        _report(case_id, "failed", [str(exc)])
        raise
    diffs = differences(case, observed)
    _report(case_id, "passed" if not diffs else "failed", diffs)
    assert diffs == []

