"""A regional agent reached over HTTP (``comity agent`` on another host): same port as the
in-process agent, so ``comity produce`` does not care where a region lives."""

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

_BY_STATUS: dict[int, type[ComityError]] = {
    400: InvalidInput,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
    422: IntegrityError,
}


class HttpRegionAgent:
    def __init__(self, region_id: str, url: str, *, timeout: float = 30.0) -> None:
        self._region_id = region_id
        self._url = url.rstrip("/")
        self._timeout = httpx.Timeout(timeout, read=600.0)

    @property
    def region_id(self) -> str:
        return self._region_id

    def release(self, signed: SignedAuthorization) -> Iterator[Record]:
        client = httpx.Client(timeout=self._timeout)
        try:
            request = client.build_request(
                "POST",
                f"{self._url}/release",
                content=signed.to_bytes(),
                headers={"Content-Type": "application/json"},
            )
            response = client.send(request, stream=True)
        except httpx.HTTPError as exc:
            client.close()
            raise ConfigurationError(
                f"the agent of region {self._region_id} at {self._url} cannot be reached: {exc}"
            ) from None
        if response.status_code != 200:
            try:
                response.read()
                message = str(response.json()["error"]["message"])
            except (ValueError, KeyError, TypeError):
                message = f"HTTP {response.status_code}"
            finally:
                response.close()
                client.close()
            error = _BY_STATUS.get(response.status_code, IntegrityError)
            raise error(f"the agent of region {self._region_id} refused: {message}")
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
