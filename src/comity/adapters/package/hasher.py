"""A second thread for the package writer's hashing, so SHA-512 runs beside the Python work.

SHA-512 is the slowest step of a production (about 480 MB/s here, against 1.4 GB/s for SHA-256
with the CPU's SHA extensions) and ``hashlib`` releases the GIL while it hashes, so the mbox
hashes and the content files' SHA-512 lines run on this thread while the main thread quotes,
writes and indexes the next messages. Jobs run in submission order on one thread, so every
file the thread writes gets the same bytes as if written inline: the package stays
deterministic. Jobs are handed over in batches (one queue operation per ~1 MiB, not per message)
through a bounded queue, so a slow hasher makes the writer wait instead of holding the mailbox in
memory.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

Job = Callable[[], None]
_BATCH_BYTES = 1 << 20
_BATCH_JOBS = 256
_QUEUED_BATCHES = 8


class Hasher:
    def __init__(self) -> None:
        self._queue: queue.Queue[list[Job] | None] = queue.Queue(maxsize=_QUEUED_BATCHES)
        self._batch: list[Job] = []
        self._batch_bytes = 0
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="comity-hasher", daemon=True)
        self._thread.start()

    def submit(self, job: Job, size: int) -> None:
        """Run ``job`` (about ``size`` bytes of hashing) after every job submitted before it."""
        self._batch.append(job)
        self._batch_bytes += size
        if self._batch_bytes >= _BATCH_BYTES or len(self._batch) >= _BATCH_JOBS:
            self._send()

    def drain(self) -> None:
        """Wait until every submitted job has run; re-raise the first job's error."""
        self._send()
        done = threading.Event()
        self._queue.put([done.set])
        while not done.wait(0.5):
            if not self._thread.is_alive():
                break
        if self._error is not None:
            raise self._error

    def close(self) -> None:
        """Stop the thread (after the jobs already queued)."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join()

    def _send(self) -> None:
        if self._batch:
            if self._error is not None:
                raise self._error
            self._queue.put(self._batch)
            self._batch = []
            self._batch_bytes = 0

    def _run(self) -> None:
        while (batch := self._queue.get()) is not None:
            for job in batch:
                if self._error is None or getattr(job, "__name__", "") == "set":
                    try:
                        job()
                    except BaseException as exc:  # handed to the writer at drain()
                        self._error = exc
