"""The JSON shapes auditors get from ``comity audit prove`` and the API: digests only.

Hashes are base64, as in C2SP checkpoints. Each document carries what is needed to check it
offline with any RFC 9162 verifier: indexes, sizes, the leaf or roots, and the proof.
"""

from __future__ import annotations

import base64

from comity.adapters.audit.proofs import SqlTreeReader
from comity.errors import NotFound


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def head_size(reader: SqlTreeReader) -> int:
    """The size proofs default to: the latest signed checkpoint's, else the current tree's."""
    latest = reader.latest_checkpoint()
    return latest.size if latest is not None else reader.size()


def checkpoint_document(reader: SqlTreeReader) -> dict[str, object]:
    latest = reader.latest_checkpoint()
    if latest is None:
        raise NotFound("the audit log has no signed checkpoint yet")
    return {"size": latest.size, "root": b64(latest.root), "note": latest.note}


def entry_document(reader: SqlTreeReader, index: int) -> dict[str, object]:
    row = reader.entry(index)
    return {"index": row.idx, "entry": row.entry, "leaf_hash": b64(row.leaf_hash)}


def inclusion_document(reader: SqlTreeReader, index: int, size: int) -> dict[str, object]:
    proof = reader.inclusion_proof(index, size)
    row = reader.entry(index)
    return {
        "index": index,
        "tree_size": size,
        "leaf_hash": b64(row.leaf_hash),
        "root": b64(reader.root_at(size)),
        "proof": [b64(h) for h in proof],
    }


def consistency_document(reader: SqlTreeReader, first: int, second: int) -> dict[str, object]:
    proof = reader.consistency_proof(first, second)
    return {
        "first": first,
        "second": second,
        "first_root": b64(reader.root_at(first)),
        "second_root": b64(reader.root_at(second)),
        "proof": [b64(h) for h in proof],
    }
