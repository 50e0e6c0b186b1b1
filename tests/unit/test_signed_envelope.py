"""The envelope around what the control plane signs for an agent (``domain.signed_envelope``):
whatever bytes arrive, reading them gives the document or one ``IntegrityError`` sentence, for
authorizations and hold instructions alike."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from comity.domain.authorization import SignedAuthorization
from comity.domain.hold_instruction import SignedHoldInstruction
from comity.errors import IntegrityError

READERS = [SignedAuthorization.from_bytes, SignedHoldInstruction.from_bytes]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (b"[1]", "has no signature object"),
        (b'"text"', "has no signature object"),
        (b"\xff\xfe", "is not valid JSON"),
        (b'{"signature": {"algorithm": "RSA"}}', "is signed with 'RSA', expected Ed25519"),
        (
            b'{"signature": {"algorithm": "Ed25519", "value": "not base64!"}}',
            "signature is not valid base64",
        ),
    ],
)
@pytest.mark.parametrize("read", READERS)
def test_a_malformed_envelope_is_one_sentence(read: object, data: bytes, sentence: str) -> None:
    assert callable(read)
    with pytest.raises(IntegrityError) as refused:
        read(data)
    assert sentence in refused.value.message


@given(st.one_of(st.binary(max_size=64), JSON_VALUES.map(lambda v: json.dumps(v).encode())))
def test_any_bytes_are_read_or_refused_in_one_sentence(data: bytes) -> None:
    for read in READERS:
        with pytest.raises(IntegrityError):
            read(data)


@given(JSON_VALUES)
def test_any_signed_document_that_is_not_one_is_refused_in_one_sentence(body: object) -> None:
    envelope = {"signature": {"algorithm": "Ed25519", "key_id": "k", "value": "AAAA"}}
    for field, read in (("authorization", READERS[0]), ("instruction", READERS[1])):
        with pytest.raises(IntegrityError) as refused:
            read(json.dumps({field: body, **envelope}).encode())
        assert "is malformed" in refused.value.message
