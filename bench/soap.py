"""SOAP benchmark: WSDL import time, and the gateway's JSON→SOAP→JSON overhead.

Run: ``.venv/bin/python bench/soap.py [--calls N] [CORPUS_DIR]`` (default corpus
``$PORTWAY_CORPUS`` or ``../shared/corpus``).

1. Import: the five largest corpus WSDLs that load offline, each imported three times
   (best time kept), and the time the gateway takes to rebuild its zeep client from the
   connector's stored documents (done once per connector version).
2. Overhead: a real spyne service (SOAP 1.1) on loopback, called N times each way:
   directly with zeep (``client.service.add``), through a running gateway with JSON
   (``POST /v1/connections/{name}/operations/{op}``), directly with a raw envelope, and
   through the gateway's pass-through. Prints median and p90 latencies and the ratios
   gateway/direct.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import zeep  # noqa: E402

from gateway.app import create_app  # noqa: E402
from gateway.services import build_services  # noqa: E402
from gateway.soap.clients import build_client  # noqa: E402
from importers.wsdl import import_wsdl  # noqa: E402
from tests.gateway.conftest import make_settings  # noqa: E402
from tests.gateway.soap.conftest import envelope  # noqa: E402
from tests.gateway.soap.services import soap_services  # noqa: E402
from tests.support.servers import serve_in_thread  # noqa: E402


class _Folder(dict[str, bytes]):
    """The corpus as an upload, read on demand."""

    def __init__(self, root: Path) -> None:
        super().__init__()
        self.root = root

    def __missing__(self, key: str) -> bytes:
        path = self.root / key
        if ".." in Path(key).parts or not path.is_file():
            raise KeyError(key)
        return path.read_bytes()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        try:
            return self[key]
        except KeyError:
            return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and (self.root / key).is_file()


def bench_import(corpus: Path) -> None:
    wsdl = corpus / "wsdl"
    with (wsdl / "MANIFEST.tsv").open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t")
                if r["loads_offline_with_wellknown"] == "yes"]
    largest = sorted(rows, key=lambda r: (wsdl / r["file"]).stat().st_size, reverse=True)[:5]
    print(f"{'WSDL':48} {'bytes':>9} {'ops':>5} {'import s':>9} {'client s':>9}")
    for row in largest:
        name = row["file"]
        files = _Folder(wsdl)
        best = float("inf")
        result = None
        for _ in range(3):
            started = time.perf_counter()
            result = import_wsdl(name, files, connector_id="bench")
            best = min(best, time.perf_counter() - started)
        assert result is not None and result.connector is not None, result
        started = time.perf_counter()
        build_client(result.connector, "bench")
        client_seconds = time.perf_counter() - started
        size = (wsdl / name).stat().st_size
        print(f"{name[-48:]:48} {size:>9} {len(result.connector.operations):>5} "
              f"{best:>9.3f} {client_seconds:>9.3f}")


def _timed(call: Callable[[], Any], count: int) -> list[float]:
    for _ in range(min(20, count)):
        call()
    samples = []
    for _ in range(count):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def _summary(label: str, samples: list[float]) -> float:
    median = statistics.median(samples)
    p90 = statistics.quantiles(samples, n=10)[-1]
    print(f"  {label:42} median {median:7.2f} ms   p90 {p90:7.2f} ms")
    return median


def bench_overhead(calls: int) -> None:
    with tempfile.TemporaryDirectory() as directory, soap_services() as soap:
        # No rate limit: the default (100 calls a minute) would throttle the benchmark.
        settings = make_settings(Path(directory), f"sqlite:///{directory}/portway.db",
                                 proxy={"rate_limit_calls": 0})
        services = build_services(settings)
        app = create_app(services=services, extensions=[])
        logging.getLogger("httpx").setLevel(logging.WARNING)
        with serve_in_thread(app) as url:
            token = (Path(directory) / "owner.token").read_text().strip()
            gateway = httpx.Client(base_url=url, headers={"authorization": f"Bearer {token}"},
                                   timeout=30)
            service_url = soap.url("soap11") + "/"
            wsdl = httpx.get(service_url + "?wsdl").content
            assert gateway.put("/v1/connectors/bench", content=wsdl,
                               headers={"content-type": "text/xml"}).status_code in (200, 201)
            assert gateway.put("/v1/connections/bench", json={
                "connector": "bench", "parameters": {"parameterSet": "none"}}
            ).status_code in (200, 201)
            direct = zeep.Client(service_url + "?wsdl")
            person = {"name": "Ada", "age": 36, "tags": {"string": ["a", "b", "c"]},
                      "address": {"street": "1 Main St", "city": "London"}}

            def via_gateway(operation: str, body: dict[str, Any]) -> Callable[[], Any]:
                def call() -> Any:
                    answer = gateway.post(f"/v1/connections/bench/operations/{operation}",
                                          json=body)
                    assert answer.status_code == 200, answer.text
                    return answer.json()
                return call

            raw = envelope("1.1", "add", "<t:a>1</t:a><t:b>2</t:b>")
            plain = httpx.Client(timeout=30)

            def raw_direct() -> Any:
                return plain.post(service_url, content=raw,
                                  headers={"content-type": "text/xml", "soapaction": '"add"'})

            def raw_gateway() -> Any:
                answer = gateway.post("/apim/bench/bench/add", content=raw,
                                      headers={"content-type": "text/xml"})
                assert answer.status_code == 200
                return answer

            print(f"{calls} calls each, after 20 warm-up calls:")
            ratios = []
            for name, zeep_call, gateway_call in (
                ("add(a, b)", lambda: direct.service.add(1, 2), via_gateway("add", {"a": 1,
                                                                                   "b": 2})),
                ("echo_person(nested, array of 3)", lambda: direct.service.echo_person(person),
                 via_gateway("echo_person", {"person": person})),
            ):
                base = _summary(f"zeep direct      {name}", _timed(zeep_call, calls))
                through = _summary(f"gateway JSON     {name}", _timed(gateway_call, calls))
                ratios.append((name, through / base, through - base))
            base = _summary("raw POST direct  add", _timed(raw_direct, calls))
            through = _summary("gateway pass-through add", _timed(raw_gateway, calls))
            ratios.append(("pass-through vs raw POST", through / base, through - base))
            print("ratios (gateway median / direct median):")
            for name, ratio, added in ratios:
                print(f"  {name:42} {ratio:5.2f}x  (+{added:.2f} ms)")
            gateway.close()
            plain.close()
        services.db.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("corpus", nargs="?", default=os.environ.get("PORTWAY_CORPUS")
                        or str(ROOT.parent / "shared" / "corpus"))
    parser.add_argument("--calls", type=int, default=300)
    args = parser.parse_args()
    corpus = Path(args.corpus)
    if (corpus / "wsdl" / "MANIFEST.tsv").is_file():
        print("== WSDL import (best of 3)")
        bench_import(corpus)
    else:
        print(f"== WSDL import skipped: no corpus at {corpus}")
    print("== JSON→SOAP→JSON overhead")
    bench_overhead(args.calls)
    return 0


if __name__ == "__main__":
    sys.exit(main())
