"""A regional agent reached over HTTP (``comity agent`` on another host): same port as the
in-process agent, so ``comity produce`` does not care where a region lives; and, for a region
with a job queue, the control plane's side of its durable parts (``RegionParts``, ADR 0012)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx

from comity.adapters.agent.framing import decode
from comity.domain.authorization import SignedAuthorization
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
from comity.services.part_ports import PartStatus

_BY_STATUS: dict[int, type[ComityError]] = {
    400: InvalidInput,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: IntegrityError,
}


#: Seconds to wait for a part's status before calling the agent unreachable.
STATUS_TIMEOUT = 5.0


class HttpRegionAgent:
    def __init__(self, region_id: str, url: str, *, timeout: float = 30.0) -> None:
        self._region_id = region_id
        self._url = url.rstrip("/")
        self._timeout = httpx.Timeout(timeout, read=600.0)

    @property
    def region_id(self) -> str:
        return self._region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/release", signed)

    # --- durable parts (RegionParts) ---

    def submit(self, signed: SignedAuthorization) -> PartStatus | None:
        with httpx.Client(timeout=self._timeout) as client:
            try:
                response = client.post(
                    f"{self._url}/parts",
                    content=signed.to_bytes(),
                    headers={"Content-Type": "application/json"},
                )
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None
        if response.status_code == 404:
            return None  # the agent keeps no queue (a SQLite region): read it in one stream
        self._raise_for(response)
        return PartStatus.from_document(response.json())

    def status(self, authorization_id: str) -> PartStatus:
        # A status is asked while a page renders or a production waits: a lost host answers
        # "unreachable" within seconds, not after the stream's long timeouts.
        with httpx.Client(timeout=STATUS_TIMEOUT) as client:
            try:
                response = client.get(f"{self._url}/parts/{authorization_id}")
            except httpx.HTTPError as exc:
                raise self._unreachable(exc) from None
        self._raise_for(response)
        return PartStatus.from_document(response.json())

    def records(self, signed: SignedAuthorization) -> Iterator[Record]:
        return self._records("/parts/records", signed)

    # --- the wire ---

    def _unreachable(self, exc: Exception) -> ConfigurationError:
        return ConfigurationError(
            f"the agent of region {self._region_id} at {self._url} cannot be reached: {exc}"
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
        client = httpx.Client(timeout=self._timeout)
        try:
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
