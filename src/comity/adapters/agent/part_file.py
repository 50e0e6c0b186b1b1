"""Sealed part files: a region's records for one production, at rest in the region's own
directory, encrypted under the region's keyring until the agent streams them to the control
plane (ADR 0012).

The file is the agent's record framing (``framing``) with two changes: a first ``part`` frame
carries one fresh AES-256-GCM key for the file, wrapped by the region's KEK and bound to the
region and the authorization; each record's body is encrypted under that key with its index as
nonce and its frame header (and the part's identity) as associated data, so a record moved,
reordered, altered or cut is refused on reading. It is written to ``.<name>.tmp``, fsynced and
renamed: a killed run leaves no file a reader could take for a finished part, and a temporary
file holds only ciphertext.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from comity.adapters.agent.framing import (
    frame,
    raw_frame,
    read_raw_frames,
    record_header,
    record_of,
)
from comity.domain.audit import canonical_json
from comity.domain.records import Record
from comity.errors import IntegrityError
from comity.services.custody.ports import Keyring

FORMAT = "comity-part/1"
CHUNK = 1 << 20


class SealedPartFiles:
    """``PartStore`` on files under ``directory`` (``regions/<id>/parts`` of the agent's host)."""

    def __init__(self, region_id: str, directory: Path, keyring: Keyring) -> None:
        self._region = region_id
        self._dir = directory
        self._keyring = keyring

    def path(self, authorization_id: str) -> Path:
        # The id is the control plane's; a digest keeps any character out of the file name.
        digest = hashlib.sha256(authorization_id.encode()).hexdigest()[:32]
        return self._dir / f"{digest}.part"

    def _aad(self, authorization_id: str) -> bytes:
        return f"{FORMAT}\0{self._region}\0{authorization_id}".encode()

    def write(self, authorization_id: str, records: Iterable[Record]) -> tuple[int, int]:
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        final = self.path(authorization_id)
        temp = final.with_name(f".{final.name}.tmp")
        aad = self._aad(authorization_id)
        key = AESGCM.generate_key(bit_length=256)
        version, wrapped = self._keyring.wrap(key, aad)
        cipher = AESGCM(key)
        count = size = 0
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            with os.fdopen(fd, "wb") as out:
                part = {
                    "type": "part",
                    "format": FORMAT,
                    "region": self._region,
                    "authorization": authorization_id,
                    "key_version": version,
                    "wrapped_key": base64.b64encode(wrapped).decode("ascii"),
                }
                out.write(frame(part))
                for record in records:
                    head = canonical_json(record_header(record))
                    nonce = count.to_bytes(12, "big")
                    out.write(raw_frame(head, cipher.encrypt(nonce, record.body, aad + head)))
                    count += 1
                    size += len(record.body)
                out.write(frame({"type": "end", "count": count}))
                out.flush()
                os.fsync(out.fileno())
            temp.replace(final)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(self._dir)
        return count, size

    def exists(self, authorization_id: str) -> bool:
        return self.path(authorization_id).is_file()

    def read(self, authorization_id: str) -> Iterator[Record]:
        path = self.path(authorization_id)
        source = f"part file {path}"
        aad = self._aad(authorization_id)
        frames = read_raw_frames(_chunks(path), source=source)
        head, _, _ = next(frames)
        if (
            head.get("type") != "part"
            or head.get("format") != FORMAT
            or head.get("region") != self._region
            or head.get("authorization") != authorization_id
        ):
            raise IntegrityError(f"{source} is not this region's part of {authorization_id}")
        try:
            wrapped = base64.b64decode(str(head["wrapped_key"]), validate=True)
            key = self._keyring.unwrap(int(head["key_version"]), wrapped, aad)
        except (KeyError, ValueError, TypeError):
            raise IntegrityError(f"{source}: its key is malformed") from None
        cipher = AESGCM(key)
        count = 0
        for header, raw, body in frames:
            if header.get("type") == "end":
                if header.get("count") != count:
                    raise IntegrityError(f"{source}: it announces {header.get('count')} records")
                return
            if header.get("type") != "record":
                raise IntegrityError(f"{source}: unknown frame type {header.get('type')!r}")
            try:
                nonce = count.to_bytes(12, "big")
                plain = cipher.decrypt(nonce, body, aad + raw)
            except InvalidTag:
                raise IntegrityError(f"{source}: record {count} does not decrypt") from None
            count += 1  # noqa: SIM113 (the end frame's count is checked after the loop's frames)
            yield record_of(header, plain, source=source)

    def remove(self, authorization_id: str) -> None:
        path = self.path(authorization_id)
        path.unlink(missing_ok=True)
        path.with_name(f".{path.name}.tmp").unlink(missing_ok=True)


def _chunks(path: Path) -> Iterator[bytes]:
    with path.open("rb") as src:
        while chunk := src.read(CHUNK):
            yield chunk


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
