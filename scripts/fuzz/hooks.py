"""Schemathesis hooks for ``scripts/fuzz-api.sh``: how to make the files the API names.

``POST /demands`` (multipart) publishes its ``file`` part as one of the media types of a
legal-process file (PDF, PNG, JPEG, TIFF), recognised by their first bytes; Schemathesis cannot
make such files from a JSON Schema, so each media type gets a strategy here that produces a file
of that type (its magic bytes and some content).
"""

from __future__ import annotations

import schemathesis
from hypothesis import strategies as st

_MAGIC = {
    "application/pdf": [b"%PDF-1.4\n"],
    "image/png": [b"\x89PNG\r\n\x1a\n"],
    "image/jpeg": [b"\xff\xd8\xff\xe0"],
    "image/tiff": [b"II*\x00", b"MM\x00*"],
}

for _media_type, _prefixes in _MAGIC.items():
    schemathesis.openapi.media_type(
        _media_type,
        st.tuples(st.sampled_from(_prefixes), st.binary(max_size=64)).map(b"".join),
    )
