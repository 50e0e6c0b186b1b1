"""The region's production queue: Procrastinate on the region's own PostgreSQL (ADR 0012).

Why Procrastinate: the region already runs PostgreSQL for its store, so the queue adds no broker
to run, secure or back up in each country; jobs survive the agent (a row, not a process), and a
worker's heartbeat lets the next worker find a job whose worker died (stalled-job detection).

``comity agent --region R`` runs the worker in the agent's own event loop, beside its HTTP
surface: one process per region, one systemd unit (docs/operations.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued
from procrastinate.job_context import JobContext
from procrastinate.jobs import Job

from comity.errors import ComityError
from comity.services.productions.parts import RegionPartService

TASK = "comity.produce_part"
QUEUE = "comity_parts"
#: Backoff between attempts of a part that failed for a passing reason: 2, 4, 8, 16 ... seconds.
BACKOFF_BASE = 2
#: A worker silent this long is taken for dead, and its running part is run again.
DEFAULT_STALLED_AFTER = 30.0

log = logging.getLogger(__name__)


class PartRetry(procrastinate.BaseRetryStrategy):
    """Retry with exponential backoff what may pass (a store or source unreachable); never a
    refusal (``ComityError``: the law changed, the authorization expired), which no later
    attempt would answer differently."""

    def __init__(self, max_attempts: int, base: float = BACKOFF_BASE) -> None:
        self.max_attempts = max_attempts
        self.base = base

    def get_retry_decision(
        self, *, exception: BaseException, job: Job
    ) -> procrastinate.RetryDecision | None:
        if isinstance(exception, ComityError) or job.attempts + 1 >= self.max_attempts:
            return None
        return procrastinate.RetryDecision(retry_in={"seconds": self.base * 2**job.attempts})


def conninfo(url: str) -> str:
    """The region store's SQLAlchemy URL as libpq takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


class RegionJobs:
    """The queue and worker of one region's parts."""

    def __init__(
        self,
        service: RegionPartService,
        store_url: str,
        *,
        stalled_after: float = DEFAULT_STALLED_AFTER,
        backoff_base: float = BACKOFF_BASE,
    ) -> None:
        self.service = service
        self.stalled_after = stalled_after
        connector = procrastinate.PsycopgConnector(conninfo=conninfo(store_url))
        self.app = procrastinate.App(connector=connector)

        @self.app.task(
            name=TASK,
            queue=QUEUE,
            pass_context=True,
            retry=PartRetry(service.max_attempts, backoff_base),
        )
        def produce_part(context: JobContext, authorization: str) -> None:
            assert context.job is not None
            service.run(authorization, attempt=context.job.attempts + 1)

    async def ensure_schema(self) -> bool:
        """Apply Procrastinate's schema to the region database if it is not there; True if so."""
        present = await self.app.connector.execute_query_one_async(
            "SELECT to_regclass('procrastinate_jobs') IS NOT NULL AS present"
        )
        if present["present"]:
            return False
        await self.app.schema_manager.apply_schema_async()
        return True

    async def enqueue(self, authorization_id: str, authorization: str) -> None:
        """Queue the part's job; a job already queued for it (``queueing_lock``) is enough."""
        task = self.app.configure_task(TASK, lock=authorization_id, queueing_lock=authorization_id)
        with contextlib.suppress(AlreadyEnqueued):
            await task.defer_async(authorization=authorization)

    async def retry_stalled(self) -> int:
        """Queue again every running part whose worker stopped sending heartbeats (a SIGKILL, a
        host lost); the next attempt starts the part over (it is sealed once, by rename)."""
        stalled = await self.app.job_manager.get_stalled_jobs(
            queue=QUEUE, seconds_since_heartbeat=self.stalled_after
        )
        for job in stalled:
            log.warning("part job %s stalled (its worker is silent); running it again", job.id)
            await self.app.job_manager.retry_job(job)
        return len(list(stalled))

    async def work(self) -> None:
        """Run the worker and the stalled-job watch until cancelled."""
        heartbeat = max(0.2, self.stalled_after / 3)
        worker = asyncio.create_task(
            self.app.run_worker_async(
                queues=[QUEUE],
                install_signal_handlers=False,
                update_heartbeat_interval=heartbeat,
                stalled_worker_timeout=self.stalled_after,
                fetch_job_polling_interval=1.0,
                name=f"comity-agent-{self.service.region_id}",
            )
        )
        try:
            while not worker.done():
                try:
                    await self.retry_stalled()
                except Exception:  # the database away for a moment: look again later
                    log.exception("looking for stalled part jobs failed")
                await asyncio.wait({worker}, timeout=heartbeat)
            worker.result()
        finally:
            worker.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await worker

    def options(self) -> dict[str, Any]:
        return {"queue": QUEUE, "stalled_after": self.stalled_after}
