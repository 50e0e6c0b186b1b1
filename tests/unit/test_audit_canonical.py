"""The fast canonical form of an audit event is byte-for-byte the generic canonical JSON."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from comity.domain.audit import AuditEvent, canonical_json

text = st.text(max_size=40)


@given(text, text, text, text, st.integers(-(10**9), 10**9))
def test_fast_canonical_equals_canonical_json(
    actor: str, action: str, subject: str, digest: str, seconds: int
) -> None:
    when = datetime(2026, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds, microseconds=seconds % 7)
    ev = AuditEvent(when, actor, action, subject, digest)
    assert ev.canonical() == canonical_json(ev.to_document())
