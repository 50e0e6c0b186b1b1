"""Envelope encryption of one record: a fresh AES-256-GCM data key, wrapped by the region's KEK.

The associated data binds the ciphertext and the wrapped key to the region, the account, the
record id, its category, media type and time, so a row copied into another account, another
region or another category fails to decrypt instead of showing someone else's mail.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from comity.domain.records import Record
from comity.errors import IntegrityError
from comity.services.custody.ports import Keyring, SealedRecord

AAD_VERSION = "comity-record/1"


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(when: datetime) -> int:
    """Microseconds since the epoch (UTC), the form stores index and the AAD binds."""
    if when.tzinfo is None:
        raise ValueError("record times must be timezone-aware")
    return (when - _EPOCH) // _MICROSECOND


def associated_data(
    region_id: str, account_id: str, record_id: str, *, category: str, media_type: str, at: int
) -> bytes:
    """The fields joined by NUL, which none of them can contain (ids, region ids, categories and
    media types are restricted to printable ASCII): unambiguous, and cheap on the hot path."""
    fields = (AAD_VERSION, region_id, account_id, record_id, category, media_type, str(at))
    joined = "\0".join(fields)
    if joined.count("\0") != len(fields) - 1:
        raise ValueError(f"record {record_id!r}: identifiers must not contain NUL")
    return joined.encode()


def _aad(region_id: str, r: Record | SealedRecord) -> bytes:
    return associated_data(
        region_id,
        r.account_id,
        r.id,
        category=r.category.value,
        media_type=r.media_type,
        at=micros(r.occurred_at),
    )


#: Appended to the associated data of a sealed mbox envelope line, so it can never be opened
#: as the body (or the body as it): both are under the record's data key.
_ENVELOPE_AAD = b"\0envelope"
_NONCE = 12


def seal(region_id: str, keyring: Keyring, record: Record) -> SealedRecord:
    aad = _aad(region_id, record)
    data_key = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    ciphertext = AESGCM(data_key).encrypt(nonce, record.body, aad)
    envelope = None
    if record.envelope is not None:
        # The envelope line names the sender: customer data, sealed like the message.
        envelope_nonce = os.urandom(_NONCE)
        envelope = envelope_nonce + AESGCM(data_key).encrypt(
            envelope_nonce, record.envelope, aad + _ENVELOPE_AAD
        )
    version, wrapped = keyring.wrap(data_key, aad)
    return SealedRecord(
        id=record.id,
        account_id=record.account_id,
        category=record.category,
        occurred_at=record.occurred_at,
        media_type=record.media_type,
        size=len(record.body),
        key_version=version,
        wrapped_key=wrapped,
        nonce=nonce,
        ciphertext=ciphertext,
        warning=record.warning,
        envelope=envelope,
    )


def open_sealed(region_id: str, keyring: Keyring, sealed: SealedRecord) -> Record:
    aad = _aad(region_id, sealed)
    data_key = keyring.unwrap(sealed.key_version, sealed.wrapped_key, aad)
    try:
        cipher = AESGCM(data_key)
        body = cipher.decrypt(sealed.nonce, sealed.ciphertext, aad)
        envelope = None
        if sealed.envelope is not None:
            envelope = cipher.decrypt(
                sealed.envelope[:_NONCE], sealed.envelope[_NONCE:], aad + _ENVELOPE_AAD
            )
    except InvalidTag:
        raise IntegrityError(
            f"record {sealed.id} failed to decrypt in region {region_id}: its content was altered "
            "or sealed for another account or region"
        ) from None
    return Record(
        sealed.id,
        sealed.account_id,
        sealed.category,
        sealed.occurred_at,
        body,
        sealed.media_type,
        sealed.warning,
        envelope,
    )


def rewrap(region_id: str, keyring: Keyring, sealed: SealedRecord) -> tuple[int, bytes]:
    """The record's data key wrapped under the current KEK; the content is not touched."""
    aad = _aad(region_id, sealed)
    data_key = keyring.unwrap(sealed.key_version, sealed.wrapped_key, aad)
    return keyring.wrap(data_key, aad)
