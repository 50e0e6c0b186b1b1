"""Run a regional agent's app under uvicorn, over mutual TLS.

The deployment CA's chain check happens in the handshake (no certificate, another CA, an expired
or a non-client certificate never reach the app). What the handshake cannot say is *who* the
client is: a certificate from the same CA could be another region's agent. So each connection's
peer certificate is handed to the app (``scope["extensions"]["tls"]``, as the ASGI TLS extension
names it), and the app refuses, with one sentence, any client whose certificate does not name the
control plane.
"""

from __future__ import annotations

import asyncio
from typing import Any

import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from comity.adapters.tls.contexts import server_context
from comity.adapters.tls.layout import TlsFiles


class _PeerCertificateProtocol(H11Protocol):
    """HTTP/1.1 that puts the connection's client certificate (DER) into every request's scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        ssl_object = transport.get_extra_info("ssl_object")
        der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
        inner = self.app

        async def with_peer(scope: Any, receive: Any, send: Any) -> None:
            extensions = dict(scope.get("extensions") or {})
            extensions["tls"] = {"client_cert_der": der, "tls_used": ssl_object is not None}
            await inner({**scope, "extensions": extensions}, receive, send)

        self.app = with_peer


def run_agent(app: Any, host: str, port: int, tls: TlsFiles | None) -> None:
    """Serve ``app``; with ``tls``, HTTPS that requires a client certificate from the CA."""
    if tls is None:
        uvicorn.run(app, host=host, port=port, log_level="warning")
        return
    context = server_context(tls)  # fails here, with its sentence, before listening
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        http=_PeerCertificateProtocol,
        ssl_context_factory=lambda _config, _default: context,
    )
    uvicorn.Server(config).run()
