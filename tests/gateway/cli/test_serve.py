"""``portway serve`` refuses an address something already listens on."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.servers import free_port, portway_process


def test_a_second_server_on_the_same_port_fails_clearly(tmp_path: Path) -> None:
    port = free_port()
    first, second = tmp_path / "a", tmp_path / "b"
    first.mkdir()
    second.mkdir()
    with portway_process(first, port=port):
        env = {k: v for k, v in os.environ.items() if not k.startswith("PORTWAY_")}
        result = subprocess.run(
            [str(Path(sys.executable).parent / "portway"), "serve", "--port", str(port)],
            cwd=second, env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr
