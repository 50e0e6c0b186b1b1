"""A regional agent reached over HTTP (``comity agent`` on another host): same port as the
in-process agent, so ``comity produce`` does not care where a region lives; for a region with a
job queue, the control plane's side of its durable parts (``RegionParts``, ADR 0012); and the
region's preservation holds (``HoldAgent``, ``POST /holds``, ADR 0014).

Over ``https://`` the control plane presents its certificate (mutual TLS, ``adapters/tls``) and
checks, before a signed authorization is sent, that the agent's certificate names the region it
is calling: a ``GET /health`` opens the connection, the peer's certificate is read, and only then
does the ``POST`` (``/release``, ``/parts`` or ``/parts/records``) go out on the same connection
(and its response's peer is checked again before anything in it is read).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx

from comity.adapters.agent.framing import decode
from comity.adapters.tls.contexts import (
    client_context,
    explain,
    own_certificate_problem,
    peer_role,
)
from comity.adapters.tls.layout import TlsFiles
from comity.domain.authorization import SignedAuthorization
from comity.domain.hold_instruction import SignedHoldInstruction
from comity.domain.records import Record
from comity.errors import (
    ComityError,
    ConfigurationError,
    Conflict,
    Forbidden,
    IntegrityError,
    InvalidInput,
    NotFound,
)
from comity.services.custody.hold_ports import HoldOutcome
from comity.services.custody.source_ports import SourceUnavailable
from comity.services.productions.parts_ports import PartStatus

_BY_STATUS: dict[int, type[ComityError]] = {
    400: InvalidInput,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: IntegrityError,
    503: SourceUnavailable,
}


#: Seconds to wait for a part's status before calling the agent unreachable.
STATUS_TIMEOUT = 5.0

#: How a server's refusal of the client certificate looks under TLS 1.3.
_CLOSED_EARLY = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class HttpRegionAgent:
    def __init__(
        self, region_id: str, url: str, *, tls: TlsFiles | None = None, timeout: float = 30.0
    ) -> None:
        self._region_id = region_id
        self._url = url.rstrip("/")
        self._timeout = httpx.Timeout(timeout, read=600.0)
        self._tls = tls
        if url.startswith("https://") and tls is None:
            raise ConfigurationError(
                f"the agent of region {region_id} at {url} is reached over mutual TLS, but no CA, "
                "certificate and key are configured for the control plane"
            )
        self._context = client_context(tls) if tls is not None else None

    @property
    def region_id(self) -> str:
        return self._region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/release", signed)

    # --- preservation holds (HoldAgent, ADR 0014) ---

    def hold(self, signed: SignedHoldInstruction) -> HoldOutcome:
        """Send a signed hold instruction (``POST /holds``) once the agent has shown the
        region's certificate; its report of what it did."""
        instruction = signed.instruction
        response = self._post_signed("/holds", signed.to_bytes(), "nothing was held or released")
        self._raise_for(response)
        try:
            body = response.json()
        except ValueError:
            body = None
        return HoldOutcome.from_document(body, region=self._region_id, hold_id=instruction.hold_id)

    # --- durable parts (RegionParts) ---

    def submit(self, signed: SignedAuthorization) -> PartStatus | None:
        response = self._post_signed("/parts", signed.to_bytes(), "nothing was released")
        if response.status_code == 404:
            return None  # the agent keeps no queue (a SQLite region): read it in one stream
        self._raise_for(response)
        return PartStatus.from_document(response.json())

    def status(self, authorization_id: str) -> PartStatus:
        # A status is asked while a page renders or a production waits: a lost host answers
        # "unreachable" within seconds, not after the stream's long timeouts. It carries no
        # authorization, so the peer is checked on the answer itself.
        with self._client(httpx.Timeout(STATUS_TIMEOUT)) as client:
            try:
                response = client.get(f"{self._url}/parts/{authorization_id}")
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None
            self._check_peer(response)
        self._raise_for(response)
        return PartStatus.from_document(response.json())

    def records(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/parts/records", signed)

    # --- the wire ---

    def _post_signed(self, path: str, signed: bytes, outcome: str) -> httpx.Response:
        """POST a signed document, once the agent has shown the region's certificate; the
        answer, read whole (``outcome`` ends the sentence when the agent cannot be reached)."""
        with self._client(self._timeout) as client:
            try:
                self._check_health(client)
                response = client.post(
                    f"{self._url}{path}",
                    content=signed,
                    headers={"Content-Type": "application/json"},
                )
            except httpx.HTTPError as exc:
                raise self._unreachable(exc, outcome) from None
            self._check_peer(response)
        return response

    def _client(self, timeout: httpx.Timeout) -> httpx.Client:
        if self._context is None:
            return httpx.Client(timeout=timeout)
        return httpx.Client(timeout=timeout, verify=self._context)

    def _check_health(self, client: httpx.Client) -> None:
        """Over TLS, open the connection with ``GET /health`` and check who answered before
        anything signed is sent on it."""
        if self._context is not None:
            self._check_peer(client.get(f"{self._url}/health"))

    def _check_peer(self, response: httpx.Response) -> None:
        """Refuse an agent whose certificate does not name this region."""
        if self._context is None:
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        role = peer_role(der)
        if role != f"region:{self._region_id}":
            named = "no certificate" if role is None else f"a certificate naming {role}"
            raise ConfigurationError(
                f"the agent at {self._url} presented {named}, not the agent of region "
                f"{self._region_id}; nothing was sent to it or released"
            )

    def _unreachable(
        self, exc: httpx.HTTPError, outcome: str = "nothing was released"
    ) -> ConfigurationError:
        why = explain(exc)
        if why is None and self._tls is not None and isinstance(exc, _CLOSED_EARLY):
            # The agent closed the connection in or right after the handshake: it refused this
            # control plane's certificate (TLS 1.3 shows no alert). Say why, if it is ours.
            why = own_certificate_problem(self._tls, datetime.now(UTC)) or (
                "it closed the connection in the TLS handshake, so it does not accept this "
                "control plane's certificate (does it trust another CA?)"
            )
        why = why or f"it cannot be reached: {exc}"
        return ConfigurationError(
            f"the agent of region {self._region_id} at {self._url}: {why}; {outcome}"
        )

    def _raise_for(self, response: httpx.Response) -> None:
        if response.status_code == 200:
            return
        try:
            message = str(response.json()["error"]["message"])
        except (ValueError, KeyError, TypeError):
            message = f"HTTP {response.status_code}"
        error = _BY_STATUS.get(response.status_code, IntegrityError)
        raise error(f"the agent of region {self._region_id} refused: {message}")

    def _records(self, path: str, signed: SignedAuthorization) -> Iterator[Record]:
        client = self._client(self._timeout)
        try:
            self._check_health(client)
            request = client.build_request(
                "POST",
                f"{self._url}{path}",
                content=signed.to_bytes(),
                headers={"Content-Type": "application/json"},
            )
            response = client.send(request, stream=True)
        except httpx.HTTPError as exc:
            client.close()
            raise self._unreachable(exc) from None
        except ComityError:
            client.close()
            raise
        try:
            self._check_peer(response)
        except ComityError:
            response.close()
            client.close()
            raise
        if response.status_code != 200:
            try:
                response.read()
                self._raise_for(response)
            finally:
                response.close()
                client.close()
        return _Stream(self._region_id, client, response)


class _Stream:
    """The records of one response; ``close`` releases the connection even if never read."""

    def __init__(self, region_id: str, client: httpx.Client, response: httpx.Response) -> None:
        self._region_id = region_id
        self._client = client
        self._response = response
        self._records = decode(response.iter_bytes(), source=f"agent of region {region_id}")

    def __iter__(self) -> Iterator[Record]:
        return self

    def __next__(self) -> Record:
        try:
            return next(self._records)
        except StopIteration:
            self.close()
            raise
        except httpx.HTTPError as exc:
            self.close()
            raise IntegrityError(
                f"the agent of region {self._region_id} stream broke off: {exc}"
            ) from None
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        self._response.close()
        self._client.close()
