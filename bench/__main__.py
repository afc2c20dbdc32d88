"""``python -m bench``: run every benchmark script in this folder, one after another.

Each ``bench/<name>.py`` (not starting with ``_``) is a script with its own ``main``; its
exit status is kept, and this runner fails when any of them failed.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> int:
    failed = []
    for script in sorted(HERE.glob("*.py")):
        if script.name.startswith("_"):
            continue
        print(f"== {script.stem}", flush=True)
        code = subprocess.call([sys.executable, str(script)])
        if code != 0:
            failed.append(f"{script.stem} (exit {code})")
    if failed:
        print("failed: " + ", ".join(failed), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
