"""Warnings as JSON POSTs, signed with HMAC-SHA256 so the receiver can check they are ours.

The receiver recomputes ``HMAC-SHA256(secret, body)`` over the exact body bytes and compares it
(in constant time) with the hex digest in ``Comity-Signature: sha256=<hex>``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass

import httpx

from comity.services.notify.ports import Alert
from comity.services.notify.warnings import NotifyFailed

SIGNATURE_HEADER = "Comity-Signature"


def signature(secret: bytes, body: bytes) -> str:
    return "sha256=" + hmac.new(secret, body, hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class WebhookNotifier:
    url: str
    secret: bytes
    timeout: float = 30.0
    channel: str = "webhook"

    def send(self, alert: Alert) -> str:
        body = json.dumps(
            {"event": "deadline_warning", **alert.to_document()}, sort_keys=True
        ).encode()
        headers = {
            "Content-Type": "application/json",
            SIGNATURE_HEADER: signature(self.secret, body),
        }
        try:
            response = httpx.post(self.url, content=body, headers=headers, timeout=self.timeout)
        except httpx.HTTPError as exc:
            raise NotifyFailed(f"webhook: could not POST to {self.url}: {exc}") from None
        if not response.is_success:
            raise NotifyFailed(
                f"webhook: {self.url} answered {response.status_code}; the warning is retried"
            )
        return f"POST {self.url}"
