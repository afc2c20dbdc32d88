"""Request ids: 32 hex digits, never the same twice, across threads and a forked child."""

from __future__ import annotations

import os
import re
import threading

from gateway.ids import new_request_id


def test_ids_are_32_hex_digits_and_unique_across_batches_and_threads() -> None:
    ids = [new_request_id() for _ in range(1000)]  # several batches of 256
    others: list[str] = []
    threads = [threading.Thread(target=lambda: others.extend(
        new_request_id() for _ in range(600))) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    ids += others
    assert all(re.fullmatch(r"[0-9a-f]{32}", i) for i in ids)
    assert len(set(ids)) == len(ids) == 2800


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    new_request_id()  # the parent has a batch under way
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.write(writer, "".join(new_request_id() for _ in range(4)).encode())
        os._exit(0)
    os.close(writer)
    os.waitpid(pid, 0)
    child = os.read(reader, 1024).decode()
    os.close(reader)
    parent = "".join(new_request_id() for _ in range(4))
    assert len(child) == 128
    assert {child[i:i + 32] for i in range(0, 128, 32)}.isdisjoint(
        parent[i:i + 32] for i in range(0, 128, 32))
