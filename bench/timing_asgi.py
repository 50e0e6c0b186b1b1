"""The API with a Server-Timing breakdown of where each request's time went (bench only).

``bench/load.py --breakdown`` serves ``timing_asgi:app`` instead of Comity's own ASGI module. It
is the same application; this module only measures, per request, and adds to the answer's
``Server-Timing`` header (beside the application's own ``app;dur=``):

- ``hops``: how many times the request went to the thread pool (a sync dependency, a sync
  endpoint, the response model's validation of a sync endpoint: each is one hop);
- ``in``: time from handing a call to the thread pool to it starting in a thread (a free
  capacity token, a thread waking, the interpreter lock);
- ``run`` and ``cpu``: wall time and the thread's own CPU time inside those calls; the
  difference is time the thread waited (the database's answer, the interpreter lock);
- ``out``: time from a call finishing in its thread to the request's coroutine running again on
  the event loop (the loop's queue and the interpreter lock);
- ``db``: wall time inside the driver's ``execute`` (SQLAlchemy cursor events), and ``conns``,
  database connections opened while the request ran (a pool too small opens and closes them);
- ``gc``: time the whole process spent in the garbage collector while the request ran (every
  thread stops for a collection), and ``gc2``, full collections in that time.

What is left (``app`` minus ``in``, ``run`` and ``out``) is the event loop's own work for the
request, including its waits for the interpreter lock. ``bench/load.py`` prints these for the
slowest 1 % of each operation. ``COMITY_BENCH_GC_LOG=FILE`` appends every collection of 5 ms or
more to ``FILE``; ``BENCH_SWITCH=SECONDS`` sets ``sys.setswitchinterval`` in each worker.
"""

from __future__ import annotations

import contextvars
import gc
import os
import threading
import time
from typing import Any

import anyio.to_thread
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool
from starlette.types import ASGIApp, Message, Receive, Scope, Send


class Spent:
    """One request's accumulators (written from the loop and from pool threads)."""

    __slots__ = ("conns", "cpu", "db", "held", "hops", "inq", "lock", "outq", "run", "turn")

    def __init__(self) -> None:
        self.hops = self.conns = 0
        self.inq = self.run = self.cpu = self.outq = self.db = self.lock = 0.0
        self.turn = self.held = 0.0


_current: contextvars.ContextVar[Spent | None] = contextvars.ContextVar("spent", default=None)
_in_thread = threading.local()
_gc = {"time": 0.0, "full": 0, "start": 0.0}
#: ``COMITY_BENCH_GC_LOG``: a file each collection of 5 ms or more is appended to.
_GC_LOG = os.environ.get("COMITY_BENCH_GC_LOG")


def _gc_callback(phase: str, info: dict[str, Any]) -> None:
    if phase == "start":
        _gc["start"] = time.perf_counter()
        return
    took = time.perf_counter() - _gc["start"]
    _gc["time"] += took
    _gc["full"] += info.get("generation") == 2
    if _GC_LOG and took >= 0.005:
        with open(_GC_LOG, "a") as log:
            objects = sum(gc.get_count())
            log.write(
                f"{time.time():.3f} {os.getpid()} gen{info.get('generation')} {took * 1000:.1f} ms "
                f"collected {info.get('collected')} young {objects} "
                f"frozen {gc.get_freeze_count()}\n"
            )


gc.callbacks.append(_gc_callback)
_original_run_sync = anyio.to_thread.run_sync


async def _timed_run_sync(func: Any, *args: Any, **kwargs: Any) -> Any:
    spent = _current.get()
    if spent is None:
        return await _original_run_sync(func, *args, **kwargs)
    handed = time.perf_counter()
    ended = [0.0]

    def timed() -> Any:
        started = time.perf_counter()
        cpu = time.thread_time()
        _in_thread.spent = spent
        try:
            return func(*args)
        finally:
            _in_thread.spent = None
            ended[0] = time.perf_counter()
            spent.inq += started - handed
            spent.run += ended[0] - started
            spent.cpu += time.thread_time() - cpu

    result = await _original_run_sync(timed, **kwargs)
    spent.hops += 1
    spent.outq += time.perf_counter() - ended[0]
    return result


anyio.to_thread.run_sync = _timed_run_sync  # type: ignore[assignment]


def _spent() -> Spent | None:
    return getattr(_in_thread, "spent", None) or _current.get()


@event.listens_for(Engine, "begin")
def _begin(conn: Any) -> None:
    conn.info["timing_begun"] = time.perf_counter()


@event.listens_for(Engine, "before_cursor_execute")
def _before(conn: Any, _cursor: Any, stmt: str, _params: Any, _ctx: Any, _many: Any) -> None:
    now = time.perf_counter()
    conn.info["timing_started"] = now
    begun = conn.info.pop("timing_begun", None)
    spent = _spent()
    if stmt.startswith("BEGIN IMMEDIATE") and begun is not None and spent is not None:
        spent.turn += now - begun  # waiting for this process's writers' turn (WriterQueue)


def _ended(conn: Any) -> None:
    held_from = conn.info.pop("timing_held", None)
    spent = _spent()
    if held_from is not None and spent is not None:
        spent.held += time.perf_counter() - held_from


event.listen(Engine, "commit", _ended)
event.listen(Engine, "rollback", _ended)


@event.listens_for(Engine, "after_cursor_execute")
def _after(conn: Any, _cursor: Any, stmt: str, _params: Any, _ctx: Any, _many: Any) -> None:
    spent = getattr(_in_thread, "spent", None) or _current.get()
    started = conn.info.pop("timing_started", None)
    if spent is not None and started is not None:
        took = time.perf_counter() - started
        spent.db += took
        if stmt.startswith("BEGIN IMMEDIATE"):
            spent.lock += took
            conn.info["timing_held"] = time.perf_counter()


@event.listens_for(Pool, "connect")
def _connected(_dbapi: Any, _record: Any) -> None:
    spent = getattr(_in_thread, "spent", None) or _current.get()
    if spent is not None:
        spent.conns += 1


class Breakdown:
    """Outermost middleware: one ``Spent`` per request, written into ``Server-Timing``."""

    def __init__(self, inner: ASGIApp) -> None:
        self.inner = inner

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.inner(scope, receive, send)
            return
        spent = Spent()
        token = _current.set(spent)
        gc_time, gc_full = _gc["time"], _gc["full"]

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                parts = {
                    "hops": spent.hops,
                    "in": spent.inq * 1000,
                    "run": spent.run * 1000,
                    "cpu": spent.cpu * 1000,
                    "out": spent.outq * 1000,
                    "db": spent.db * 1000,
                    "lock": spent.lock * 1000,
                    "turn": spent.turn * 1000,
                    "held": spent.held * 1000,
                    "conns": spent.conns,
                    "gc": (_gc["time"] - gc_time) * 1000,
                    "gc2": _gc["full"] - gc_full,
                }
                value = ", ".join(f"{k};dur={v:.2f}" for k, v in parts.items()).encode()
                headers = list(message.get("headers", []))
                for i, (name, old) in enumerate(headers):
                    if name == b"server-timing":
                        headers[i] = (name, old + b", " + value)
                        break
                else:
                    headers.append((b"server-timing", value))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.inner(scope, receive, timed_send)
        finally:
            _current.reset(token)


# ``BENCH_SWITCH=0.001``: the interpreter's switch interval, for the experiment of the fourth pass.
if os.environ.get("BENCH_SWITCH"):
    import sys

    sys.setswitchinterval(float(os.environ["BENCH_SWITCH"]))

# The application exactly as ``comity serve`` builds it (on whichever build is on the path).
from comity.entrypoints.api import asgi  # noqa: E402

app = Breakdown(asgi.app)
