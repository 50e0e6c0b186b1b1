"""``Server-Timing: app;dur=<ms>`` on every answer: how long the application took to start it.

Measured from the moment the worker's event loop hands the request to the application to the
moment the response starts, so it counts the application's own work and its waits inside the
process (the thread pool, the database, the interpreter lock), but not the time the request
spent in the kernel's accept queue or in a client. A load test reads it beside the latency it
observes to tell the server's cost from the machine's (docs/benchmarks.md); an operator's proxy
or browser shows it as is (W3C Server Timing).
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class ServerTiming:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                took = (time.perf_counter() - start) * 1000
                headers = [*message.get("headers", []), (b"server-timing", b"app;dur=%.1f" % took)]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, timed_send)
