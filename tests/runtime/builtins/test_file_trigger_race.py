"""Two processes' trigger schedulers polling one FTP trigger at once, on one database
(SQLite and the suite's PostgreSQL): every uploaded file starts exactly one run."""

from __future__ import annotations

import asyncio
from collections import Counter
from pathlib import Path

import pytest

from gateway import Services
from runtime.triggers.scheduler import TriggerScheduler
from tests.runtime.builtins.test_ftp_example import upload
from tests.runtime.engine.support import ManualClock
from tests.runtime.triggers.support import START, deploy, host_for, run, run_ids
from tests.support.file_servers import PASSWORD, USER, ftp_server

pytestmark = pytest.mark.both_backends

TRIGGER = {"files": {
    "type": "ServiceProvider",
    "inputs": {"parameters": {"folderPath": "/inbox", "maxFileCount": 3},
               "serviceProviderConfiguration": {
                   "connectionName": "ftp", "operationId": "whenFtpFilesAreAddedOrModified",
                   "serviceProviderId": "/serviceProviders/Ftp"}},
    "recurrence": {"frequency": "Second", "interval": 1},
    "splitOn": "@triggerOutputs()?['body']",
}}


def test_two_schedulers_racing_start_each_uploaded_file_once(services: Services,
                                                             tmp_path: Path) -> None:
    with ftp_server(tmp_path / "ftp") as server:
        (server.root / "inbox").mkdir()
        clock = ManualClock(START)
        hosts = [host_for(services, clock) for _ in range(2)]
        deploy(hosts[0], "race", TRIGGER, providers={"ftp": {
            "serviceProvider": {"id": "/serviceProviders/Ftp"},
            "parameterValues": {"serverAddress": "127.0.0.1", "portNumber": server.port,
                                "username": USER, "password": PASSWORD}}})

        async def body() -> None:
            schedulers = [TriggerScheduler(host, clock=clock) for host in hosts]
            for round_ in range(12):
                if round_ < 4:  # 3 new files in each of the first four rounds
                    for n in range(3):
                        await asyncio.to_thread(upload, server, f"/inbox/r{round_}-{n}.txt",
                                                b"x" * (n + 1))
                await asyncio.gather(*(s.tick() for s in schedulers for _ in range(2)))
                await clock.advance(1)
            for host in hosts:
                await host.engine.aclose()

        run(body)
    paths = Counter(hosts[0].history.get(i)["trigger"]["outputs"]["body"]["path"]
                    for i in run_ids(services, "race"))
    assert paths == Counter({f"/inbox/r{r}-{n}.txt": 1 for r in range(4) for n in range(3)})
