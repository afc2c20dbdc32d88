"""Import benchmark: specs per second over the shared corpus.

Run: ``.venv/bin/python bench/import_corpus.py [CORPUS_DIR]`` (default ``$PORTWAY_CORPUS`` or
``../shared/corpus``). Imports ``powerplatform/`` and ``openapi3/`` the way
``portway import --json`` does, without storing anything, and prints per corpus the spec
count, imported/failed, operations, triggers, wall time and specs per second. The goal:
the whole powerplatform corpus in under 60 s on a 2-core machine.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from importers import import_sources, result_json  # noqa: E402
from importers.sources import discover  # noqa: E402


def run(path: Path) -> dict[str, float]:
    start = time.perf_counter()
    specs = len(discover([str(path)]))
    imported = failed = operations = triggers = 0
    for result in import_sources([str(path)]):
        line = result_json(result)
        if line["status"] == "imported":
            imported += 1
        else:
            failed += 1
        operations += line["operations"]
        triggers += line["triggers"]
    seconds = time.perf_counter() - start
    return {"specs": specs, "imported": imported, "failed": failed, "operations": operations,
            "triggers": triggers, "seconds": seconds, "specs_per_second": specs / seconds}


def main() -> int:
    corpus = Path(sys.argv[1] if len(sys.argv) > 1 else
                  os.environ.get("PORTWAY_CORPUS") or ROOT.parent / "shared" / "corpus")
    if not corpus.is_dir():
        print(f"no corpus at {corpus}", file=sys.stderr)
        return 2
    ok = True
    for name in ("powerplatform", "openapi3"):
        figures = run(corpus / name)
        print(f"{name:14} specs={figures['specs']:.0f} imported={figures['imported']:.0f}"
              f" failed={figures['failed']:.0f} operations={figures['operations']:.0f}"
              f" triggers={figures['triggers']:.0f} seconds={figures['seconds']:.2f}"
              f" specs/s={figures['specs_per_second']:.1f}")
        if name == "powerplatform" and figures["seconds"] >= 60:
            ok = False
            print("powerplatform took 60 s or more: over the goal", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
