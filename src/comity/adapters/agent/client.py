"""A regional agent reached over HTTP (``comity agent`` on another host): same port as the
in-process agent, so ``comity produce`` does not care where a region lives; for a region with a
job queue, the control plane's side of its durable parts (``RegionParts``, ADR 0012); and the
region's preservation holds (``HoldAgent``, ``POST /holds``, ADR 0014).

Over ``https://`` the control plane presents its certificate (mutual TLS, ``adapters/tls``) and
checks that the agent's certificate names the region it is calling: in the handshake of every
connection, before any request goes out on it (``tls.rotating``), and again on every answer
before anything in it is read.

One keep-alive client per agent (``httpx.Client`` is documented as shareable between threads;
productions and holds call from several): a production polls each region's part every 50 to
500 ms, and a new client per call cost a TCP connection and a full mutual-TLS handshake per poll.
The client is built on the region's current TLS context; when an operator rotates the control
plane's certificate, the next call builds a new context and a new client, and the old client is
closed once the calls still using it (a long record stream) are done.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

import httpx

from comity.adapters.agent.framing import decode
from comity.adapters.tls.contexts import explain, own_certificate_problem, peer_role
from comity.adapters.tls.layout import TlsFiles
from comity.adapters.tls.rotating import Fingerprint, RegionClientContext
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

#: Seconds an idle connection to an agent is kept for the next call: under uvicorn's 5 s
#: keep-alive (``comity agent``), so the control plane lets a connection go before the agent
#: closes it under a request; well over the production's longest wait between polls (0.5 s).
KEEPALIVE_EXPIRY = 4.0

#: Bytes read after a record stream's end frame, at most, to leave its connection reusable.
TRAILING_BYTES = 64 * 1024

#: How a server's refusal of the client certificate looks under TLS 1.3.
_CLOSED_EARLY = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


class HttpRegionAgent:
    """A region's agent over HTTP(S), kept for the life of the process (``Comity._http_agent``):
    its keep-alive connections and TLS context serve every call from every thread."""

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
        self._contexts = (
            RegionClientContext(tls, f"region:{region_id}", self._wrong_peer)
            if tls is not None
            else None
        )
        self._lock = threading.Lock()
        self._pool: _Pool | None = None
        if self._contexts is not None:
            self._contexts.current()  # missing or unfit files: the sentence now, not at first use

    @property
    def region_id(self) -> str:
        return self._region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/release", signed)

    # --- preservation holds (HoldAgent, ADR 0014) ---

    def hold(self, signed: SignedHoldInstruction) -> HoldOutcome:
        """Send a signed hold instruction (``POST /holds``) to the region's agent; its report of
        what it did."""
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
        # "unreachable" within seconds, not after the stream's long timeouts.
        response = self._exchange(
            "GET", f"/parts/{authorization_id}", httpx.Timeout(STATUS_TIMEOUT)
        )
        self._raise_for(response)
        return PartStatus.from_document(response.json())

    def records(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/parts/records", signed)

    def close(self) -> None:
        """Close the idle connections (a stream still open keeps its own until it ends)."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            self._retire(pool)

    # --- the wire ---

    def _post_signed(self, path: str, signed: bytes, outcome: str) -> httpx.Response:
        """POST a signed document to the agent that showed the region's certificate; the
        answer, read whole (``outcome`` ends the sentence when the agent cannot be reached)."""
        return self._exchange(
            "POST",
            path,
            self._timeout,
            outcome,
            content=signed,
            headers={"Content-Type": "application/json"},
        )

    def _exchange(
        self,
        method: str,
        path: str,
        timeout: httpx.Timeout,
        outcome: str = "nothing was released",
        **request: Any,
    ) -> httpx.Response:
        """One request on a kept connection; the answer read whole once its connection's peer
        is checked (``outcome`` ends the sentence when the agent cannot be reached)."""
        with self._client() as client:
            try:
                with client.stream(
                    method, f"{self._url}{path}", timeout=timeout, **request
                ) as response:
                    self._check_peer(response)
                    response.read()
            except httpx.HTTPError as exc:
                raise self._unreachable(exc, outcome) from None
        return response

    @contextmanager
    def _client(self) -> Iterator[httpx.Client]:
        pool = self._acquire()
        try:
            yield pool.client
        finally:
            self._release(pool)

    def _acquire(self) -> _Pool:
        """The client for the TLS files as they are now, counted as in use."""
        fingerprint, context = self._contexts.current() if self._contexts else ((), None)
        retired = None
        with self._lock:
            pool = self._pool
            if pool is None or pool.fingerprint != fingerprint:
                retired, pool = pool, _Pool(fingerprint, self._new_client(context))
                self._pool = pool
            pool.users += 1
        if retired is not None:
            self._retire(retired)
        return pool

    def _release(self, pool: _Pool) -> None:
        with self._lock:
            pool.users -= 1
            done = pool.retired and pool.users == 0
        if done:
            pool.client.close()

    def _retire(self, pool: _Pool) -> None:
        """No new call takes ``pool``; it is closed now if idle, else by its last user."""
        with self._lock:
            pool.retired = True
            idle = pool.users == 0
        if idle:
            pool.client.close()

    @staticmethod
    def _new_client(context: ssl.SSLContext | None) -> httpx.Client:
        limits = httpx.Limits(keepalive_expiry=KEEPALIVE_EXPIRY)
        if context is None:
            return httpx.Client(limits=limits)
        return httpx.Client(limits=limits, verify=context)

    def _check_peer(self, response: httpx.Response) -> None:
        """Refuse an answer from an agent whose certificate does not name this region (read from
        the connection the answer came on, before its body is read)."""
        if self._contexts is None:
            return
        stream = response.extensions.get("network_stream")
        ssl_object = stream.get_extra_info("ssl_object") if stream is not None else None
        der = ssl_object.getpeercert(True) if ssl_object is not None else None
        role = peer_role(der)
        if role != f"region:{self._region_id}":
            raise self._wrong_peer(role)

    def _wrong_peer(self, role: str | None) -> ConfigurationError:
        named = "no certificate" if role is None else f"a certificate naming {role}"
        return ConfigurationError(
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
        pool = self._acquire()
        try:
            request = pool.client.build_request(
                "POST",
                f"{self._url}{path}",
                content=signed.to_bytes(),
                headers={"Content-Type": "application/json"},
                timeout=self._timeout,
            )
            response = pool.client.send(request, stream=True)
        except httpx.HTTPError as exc:
            self._release(pool)
            raise self._unreachable(exc) from None
        except BaseException:
            self._release(pool)
            raise
        try:
            self._check_peer(response)
        except ComityError:
            response.close()
            self._release(pool)
            raise
        if response.status_code != 200:
            try:
                response.read()
                self._raise_for(response)
            finally:
                response.close()
                self._release(pool)
        return _Stream(self._region_id, response, lambda: self._release(pool))


class _Pool:
    """One keep-alive client on one TLS context, and how many calls are using it."""

    def __init__(self, fingerprint: Fingerprint | tuple[()], client: httpx.Client) -> None:
        self.fingerprint = fingerprint
        self.client = client
        self.users = 0
        #: Files changed since: no new call takes this client; the last user closes it.
        self.retired = False


class _Stream:
    """The records of one response; ``close`` releases the connection even if never read."""

    def __init__(
        self, region_id: str, response: httpx.Response, release: Callable[[], None]
    ) -> None:
        self._region_id = region_id
        self._response = response
        self._release: Callable[[], None] | None = release
        self._chunks = response.iter_bytes()
        self._records = decode(self._chunks, source=f"agent of region {region_id}")

    def __iter__(self) -> Iterator[Record]:
        return self

    def __next__(self) -> Record:
        try:
            return next(self._records)
        except StopIteration:
            self._read_to_the_end()
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

    def _read_to_the_end(self) -> None:
        """After the end frame, the rest of the body (the chunked encoding's last chunk): a
        response read to its end leaves its connection to the next call, one closed before it
        costs the next call a handshake. An agent sends nothing after the end frame; if one
        does, at most ``TRAILING_BYTES`` are read before the connection is dropped instead."""
        seen = 0
        try:
            for chunk in self._chunks:
                seen += len(chunk)
                if seen > TRAILING_BYTES:
                    return
        except httpx.HTTPError:
            return  # every record counted in; only the connection is lost

    def close(self) -> None:
        self._response.close()
        release, self._release = self._release, None
        if release is not None:
            release()  # once, however often the stream is closed
