"""Request ids: 32 random hex digits, as ``uuid.uuid4().hex`` makes them, at a fraction of
its cost (it builds a ``UUID`` object first; this is on every call's path).

The bits come from the system's generator (``os.urandom``) 4 KiB at a time, so most ids
cost a slice instead of a system call. Each thread draws its own batches, and a forked
child starts afresh: no two of them ever hand out the same bits.
"""

from __future__ import annotations

import os
import threading

_BATCH = 4096  # random bytes drawn at once: 256 ids


class _Batch(threading.local):
    digits = ""
    next = 0


_batch = _Batch()


def new_request_id() -> str:
    """A new request id: 128 random bits from the system's generator, in hex."""
    batch = _batch
    start = batch.next
    if start >= len(batch.digits):
        batch.digits = os.urandom(_BATCH).hex()
        start = 0
    batch.next = start + 32
    return batch.digits[start:start + 32]


def _start_afresh() -> None:
    global _batch
    _batch = _Batch()


os.register_at_fork(after_in_child=_start_afresh)
