"""The control plane's TLS context for one region's agent, kept while its files stay the same.

Why: building a context reads and parses the CA, the certificate and the key, and a new context
means a new connection pool, so a full handshake for every part-status poll. Why not keep it
forever: an operator rotates a certificate by writing new files (``comity pki issue ...
--replace`` writes beside and renames over; a hand copy writes in place), and the promise is that
the next call uses them without a restart. So every call compares each file's
``(st_ino, st_size, st_mtime_ns)`` with those the context was built from (three ``stat`` calls,
microseconds) and builds a new context when any differs.

The context also checks, in the handshake itself, that the agent's certificate names the region
called (``sslsocket_class``, a documented hook of ``ssl.SSLContext``): every new connection is
refused before a byte of any request goes out on it, so a pooled connection is never one whose
peer went unchecked.
"""

from __future__ import annotations

import os
import ssl
import threading
from collections.abc import Callable
from pathlib import Path

from comity.adapters.tls.contexts import client_context, peer_role
from comity.adapters.tls.layout import TlsFiles

#: Each file's (inode, size, modification time in ns), or None where it is missing.
Fingerprint = tuple[tuple[int, int, int] | None, ...]
#: Called with the role the agent's certificate names (None: it showed none) when it is not the
#: expected one; returns the exception to raise.
WrongPeer = Callable[[str | None], Exception]


def fingerprint(files: TlsFiles) -> Fingerprint:
    """What identifies the current content of the CA, certificate and key files."""
    return tuple(_identity(path) for path in (files.ca, files.cert, files.key))


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        seen = os.stat(path)
    except OSError:
        return None
    return (seen.st_ino, seen.st_size, seen.st_mtime_ns)


class RegionClientContext:
    """The client context for one region's agent, rebuilt when its TLS files change.

    Thread-safe: productions and holds call agents from several threads.
    """

    def __init__(self, files: TlsFiles, expected_role: str, wrong_peer: WrongPeer) -> None:
        self._files = files
        self._expected_role = expected_role
        self._wrong_peer = wrong_peer
        self._lock = threading.Lock()
        self._built: tuple[Fingerprint, ssl.SSLContext] | None = None

    @property
    def files(self) -> TlsFiles:
        return self._files

    def current(self) -> tuple[Fingerprint, ssl.SSLContext]:
        """The context for the files as they are now, and their fingerprint. A build that fails
        (files that do not fit together, half-way through a copy) raises its sentence and is not
        kept, so the next call tries again."""
        now = fingerprint(self._files)
        with self._lock:
            if self._built is None or self._built[0] != now:
                context = client_context(self._files)
                context.sslsocket_class = _checking_socket(self._expected_role, self._wrong_peer)
                self._built = (now, context)
            return self._built


def _checking_socket(expected_role: str, wrong_peer: WrongPeer) -> type[ssl.SSLSocket]:
    """An ``SSLSocket`` whose handshake fails unless the peer's certificate names
    ``expected_role`` (the chain was already verified against the deployment CA)."""

    class RegionSocket(ssl.SSLSocket):
        def do_handshake(self, block: bool = False) -> None:
            super().do_handshake(block)
            role = peer_role(self.getpeercert(True))
            if role != expected_role:
                # ssl closes a socket whose handshake fails with OSError only; this one is ours.
                self.close()
                raise wrong_peer(role)

    return RegionSocket
