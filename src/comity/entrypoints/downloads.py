"""``Content-Disposition`` for every download, pages and API alike (RFC 6266).

Why: a requester's ``résumé-☃.pdf`` came back as ``r?sum?-?.pdf`` because only an ASCII
``filename`` was sent. RFC 6266 section 4.3 sends both: ``filename*`` with the name in UTF-8,
percent-encoded (RFC 8187), which every current browser and HTTP library prefers, and a plain
``filename`` for the rest, made ASCII without breaking the header (no quote, backslash or control
character can end the quoted string early or start a new header).
"""

from __future__ import annotations

import unicodedata
from urllib.parse import quote

#: RFC 8187 ``attr-char``: what may stand unencoded in ``filename*``.
_ATTR_CHARS = "!#$&+-.^_`|~"


def ascii_fallback(filename: str) -> str:
    """``filename`` in printable ASCII: accents dropped (é -> e), anything else as ``_``."""
    decomposed = unicodedata.normalize("NFKD", filename)
    kept = "".join(c for c in decomposed if not unicodedata.combining(c))
    safe = "".join(c if " " <= c <= "~" and c not in '"\\' else "_" for c in kept)
    return safe or "download"


def content_disposition(filename: str, disposition: str = "attachment") -> str:
    """The header value naming ``filename`` for every client: ASCII ``filename`` and, when it
    differs, the exact name as ``filename*``."""
    fallback = ascii_fallback(filename)
    value = f'{disposition}; filename="{fallback}"'
    if fallback != filename:
        value += "; filename*=UTF-8''" + quote(filename, safe=_ATTR_CHARS)
    return value
