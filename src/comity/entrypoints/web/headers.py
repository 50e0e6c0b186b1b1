"""Security headers on every response (pure ASGI, so the API's hot paths pay one list append).

The console has no inline script or style, so its Content-Security-Policy allows only files from
Comity itself; framing is refused outright (clickjacking on an approve button is the threat).
The OpenAPI pages (/docs, /redoc) load Swagger's own scripts and keep FastAPI's defaults.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
_COMMON = {
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
}
_DOCS = ("/docs", "/redoc")
#: Pages with demand data must not stay in shared caches or the browser's back-forward cache.
WEB_PREFIXES = (
    "/sign-in",
    "/sign-out",
    "/console",
    "/portal",
    "/microsoft-ireland",
    "/check-a-package",
)


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in _COMMON.items():
                    headers.setdefault(name, value)
                if not path.startswith(_DOCS):
                    headers.setdefault("Content-Security-Policy", CSP)
                if path == "/" or path.startswith(WEB_PREFIXES):
                    headers.setdefault("Cache-Control", "no-store")
            await send(message)

        await self.app(scope, receive, send_with_headers)
