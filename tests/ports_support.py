"""Loopback ports for the servers a test session starts (agents, ``comity serve``, PostgreSQL),
unique to the session's process.

Several test sessions run on one machine at once (engineers in parallel, and pytest-xdist's
workers within one run); fixed ports made one session's agents answer another's control plane,
or fail to start. Each process probes from a starting point derived from its pid, in a range
below the kernel's ephemeral ports (so a client connection does not take a port between the probe
and the server's start), and never hands out a port twice.
"""

from __future__ import annotations

import os
import socket
import threading

#: Ports handed out: from LOW up to (not including) HIGH, in blocks of BLOCK starting where the
#: pid points. The kernel's ephemeral range starts at 32768 here (ip_local_port_range).
LOW, HIGH, BLOCK = 20000, 32000, 16

_given: set[int] = set()
_lock = threading.Lock()


def is_free(port: int) -> bool:
    """Whether a server could listen on ``port`` on every address now (as a server binds:
    with SO_REUSEADDR, so a connection in TIME_WAIT does not count as in use)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def session_ports(count: int) -> list[int]:
    """``count`` ports free now and given to no one else in this process."""
    blocks = (HIGH - LOW) // BLOCK
    start = LOW + (os.getpid() * 2654435761 % blocks) * BLOCK
    found: list[int] = []
    with _lock:
        for step in range(HIGH - LOW):
            port = LOW + (start - LOW + step) % (HIGH - LOW)
            if port not in _given and is_free(port):
                _given.add(port)
                found.append(port)
                if len(found) == count:
                    return found
    raise RuntimeError(f"no {count} free ports between {LOW} and {HIGH}")
