"""uvicorn's HTTP protocol with Nagle's algorithm off on every connection.

With ``--workers`` > 1 uvicorn hands each worker a socket rebuilt from the parent's, and asyncio
then no longer sets ``TCP_NODELAY`` on accepted connections (it only does so for sockets it knows
to be TCP). A response written in two parts (head, then body) then waits for the client's
delayed ACK: some 40 ms per request on Linux. Setting the option here removes that stall.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket

from uvicorn.protocols.http.h11_impl import H11Protocol


class NoDelayH11Protocol(H11Protocol):
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            with contextlib.suppress(OSError):  # not a TCP socket after all: nothing to tune
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        super().connection_made(transport)
